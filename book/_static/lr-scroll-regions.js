// A table or figure that is wider than its box scrolls inside the box; keyboard users reach it
// with Tab (then the arrow keys scroll it), and screen readers hear what it holds.
(() => {
  const mark = () => {
    document.querySelectorAll(".lr-table-wrapper, .lr-figure-box").forEach((box) => {
      const scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        const caption = box.querySelector("caption, th, img");
        const name = caption ? (caption.getAttribute("alt") || caption.textContent || "").trim().slice(0, 80) : "";
        box.setAttribute("aria-label", (box.classList.contains("lr-figure-box") ? "Figure: " : "Table: ") + name);
      } else if (!scrolls && box.getAttribute("role") === "region") {
        ["tabindex", "role", "aria-label"].forEach((attribute) => box.removeAttribute(attribute));
      }
    });
  };
  document.addEventListener("DOMContentLoaded", mark);
  window.addEventListener("load", mark);
  window.addEventListener("resize", mark);
  document.addEventListener("toggle", mark, true); // a drop-down opened
})();
