// Run by tests/browser with print media emulated and the window as wide as a printed page:
// returns what paper would cut off (nothing scrolls on paper) or split across pages.
const article =
  document.querySelector("article.bd-article") || document.querySelector("main") || document.body;
const page = article.getBoundingClientRect();
const describe = (el) =>
  el.tagName.toLowerCase() +
  (el.id ? "#" + el.id : "") +
  (el.classList.length ? "." + Array.from(el.classList).slice(0, 3).join(".") : "") +
  (el.tagName === "IMG" ? " " + (el.getAttribute("src") || "").slice(-60) : "");

const problems = [];
if (page.right > window.innerWidth + 1) {
  problems.push(`the text column (${Math.round(page.width)} px) is wider than the page`);
}
for (const el of article.querySelectorAll("*")) {
  if (!el.checkVisibility()) continue;
  // MathJax's MathML copy for screen readers is clipped to 1 px on purpose: never printed.
  if (el.closest("mjx-assistive-mml")) continue;
  const box = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  if (["IMG", "SVG", "CANVAS", "VIDEO", "TABLE", "PRE", "MJX-CONTAINER"].includes(el.tagName.toUpperCase())) {
    if (box.right > page.right + 1 || box.left < page.left - 1) {
      problems.push(`${describe(el)} sticks out of the page (${Math.round(box.width)} px wide)`);
    }
  }
  if (style.overflowX !== "visible" && el.scrollWidth > el.clientWidth + 2) {
    problems.push(
      `${describe(el)} is cut off: ${el.scrollWidth} px of content in ${el.clientWidth} px`,
    );
  }
  if (el.tagName === "FIGURE" && !["avoid", "avoid-page"].includes(style.breakInside)) {
    problems.push(`${describe(el)} may be split across pages (break-inside: ${style.breakInside})`);
  }
}
return problems;
