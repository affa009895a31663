// Run by tests/browser (Selenium execute_async_script) on a loaded book page: waits for MathJax
// and for every image, then returns what the checks need as one JSON-able object.
const done = arguments[arguments.length - 1];
const imageTimeoutMs = arguments[0];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const visible = (el) => {
  const box = el.getBoundingClientRect();
  return el.checkVisibility() && box.width > 0 && box.height > 0;
};
const article =
  document.querySelector("article.bd-article") || document.querySelector("main") || document.body;

async function settle() {
  // Sphinx loads MathJax with `defer`: by the load event its startup promise exists; it resolves
  // once the page's math has been typeset.
  if (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) {
    await Promise.race([window.MathJax.startup.promise, sleep(imageTimeoutMs)]);
  }
  for (const img of document.images) {
    if (img.complete && img.loading !== "lazy") continue;
    img.scrollIntoView({ block: "center" }); // lazy images start loading only near the viewport
    if (!img.complete) {
      await Promise.race([
        new Promise((resolve) => {
          img.addEventListener("load", resolve, { once: true });
          img.addEventListener("error", resolve, { once: true });
        }),
        sleep(imageTimeoutMs),
      ]);
    }
  }
  window.scrollTo(0, 0);
}

function images() {
  return Array.from(document.images).map((img) => {
    const figure = img.closest("figure");
    const caption = figure ? figure.querySelector("figcaption") : null;
    return {
      src: img.getAttribute("src") || "",
      url: img.currentSrc || img.src,
      alt: img.getAttribute("alt"),
      caption: caption ? caption.textContent.trim() : "",
      complete: img.complete,
      naturalWidth: img.naturalWidth,
      visible: visible(img),
      inArticle: article.contains(img),
    };
  });
}

function headings() {
  return Array.from(article.querySelectorAll("h1, h2, h3, h4, h5, h6")).map((h) => ({
    level: Number(h.tagName[1]),
    text: h.textContent.replace(/[#¶]\s*$/, "").trim(),
  }));
}

// Prose whose TeX was not turned into math: text outside code, scripts and MathJax output.
function rawTex() {
  const found = [];
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
  const skip = "pre, code, script, style, textarea, mjx-container, .highlight";
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skip) || !parent.checkVisibility()) continue;
    const text = node.textContent;
    if (/\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{/.test(text)) found.push(text.trim().slice(0, 120));
  }
  return found;
}

function colabSetupCellsShown() {
  return Array.from(article.querySelectorAll("pre"))
    .filter((pre) => pre.textContent.includes("google.colab") && visible(pre))
    .map((pre) => pre.textContent.trim().slice(0, 120));
}

// Cell outputs a reader should not meet: stderr, tracebacks and printed warnings, except in a
// cell tagged raises-exception, which shows its error on purpose.
function errorOutputs() {
  const streams = ".output.stderr, .output.traceback, .output.error";
  const printed = /Traceback \(most recent call last\)|\b\w+Warning: /;
  return Array.from(article.querySelectorAll(".output"))
    .filter((el) => !el.closest(".tag_raises-exception"))
    .filter((el) => el.matches(streams) || printed.test(el.textContent))
    .map((el) => el.textContent.trim().slice(0, 200));
}

// Code a reader would have to scroll sideways to read: the chapters' code cells and the
// package's source shown by show_source (printed outputs wrap instead).
function overflowingCode() {
  return Array.from(article.querySelectorAll("div.cell_input pre, div.package-source pre"))
    .filter((pre) => visible(pre) && pre.scrollWidth > pre.clientWidth + 1)
    .map((pre) => {
      const longest = pre.textContent.split("\n").reduce((a, b) => (a.length > b.length ? a : b));
      return `${pre.scrollWidth - pre.clientWidth}px too wide: ${longest.trim().slice(0, 100)}`;
    });
}

settle()
  .then(() =>
    done({
      title: document.title,
      images: images(),
      headings: headings(),
      // the theme's print-only title is hidden on screen
      h1Total: Array.from(document.querySelectorAll("h1")).filter((h) => h.checkVisibility()).length,
      mathElements: document.querySelectorAll(".math").length,
      mathjaxOutput: document.querySelectorAll("mjx-container").length,
      rawTex: rawTex(),
      anchors: Array.from(document.querySelectorAll("a[href]")).map((a) => ({
        href: a.getAttribute("href"),
        text: a.textContent.trim(),
      })),
      colabSetupShown: colabSetupCellsShown(),
      errorOutputs: errorOutputs(),
      overflowingCode: overflowingCode(),
    }),
  )
  .catch((error) => done({ scriptError: String(error) }));
