// Run by tests/browser/test_notebooks.py on a chapter's executed notebook exported to HTML by
// nbconvert (what Jupyter and Colab show): waits for the images, returns what the checks need.
const done = arguments[arguments.length - 1];
const imageTimeoutMs = arguments[0];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const OUTPUTS = ".jp-OutputArea-output, .output_area";
const MARKDOWN = ".jp-MarkdownCell, .jp-RenderedMarkdown, .text_cell_render";

async function settle() {
  for (const img of document.images) {
    if (img.complete) continue;
    await Promise.race([
      new Promise((resolve) => {
        img.addEventListener("load", resolve, { once: true });
        img.addEventListener("error", resolve, { once: true });
      }),
      sleep(imageTimeoutMs),
    ]);
  }
}

// MyST a notebook front end would show as text: roles, directive fences, label targets.
function rawMyst() {
  const found = [];
  const patterns = [/\{[a-z][a-z0-9:_-]*\}`/, /^\s*:{3,}/m, /^\s*`{3,}\{/m, /^\([\w:.-]+\)=\s*$/m];
  for (const cell of document.querySelectorAll(MARKDOWN)) {
    const text = cell.innerText;
    for (const pattern of patterns) {
      const match = text.match(pattern);
      if (match) found.push(text.slice(Math.max(0, match.index - 20), match.index + 60));
    }
  }
  return found;
}

settle()
  .then(() =>
    done({
      outputImages: Array.from(document.querySelectorAll(OUTPUTS))
        .flatMap((output) => Array.from(output.querySelectorAll("img")))
        .map((img) => ({
          complete: img.complete,
          naturalWidth: img.naturalWidth,
          src: (img.getAttribute("src") || "").slice(0, 40),
        })),
      rawMyst: rawMyst(),
      markdownCells: document.querySelectorAll(MARKDOWN).length,
    }),
  )
  .catch((error) => done({ scriptError: String(error) }));
