// pydata-sphinx-theme 0.17 opens its sidebars from the first .primary-toggle / .secondary-toggle
// button only (https://github.com/pydata/pydata-sphinx-theme/issues/2451). sphinx-book-theme
// 1.3 adds its own buttons with the same classes, and on a phone those are the ones shown, so
// they did nothing. This binds every further button the way the theme binds the first one;
// remove it when the theme binds them all.
document.addEventListener("DOMContentLoaded", () => {
  const sidebars = [
    [".primary-toggle", "pst-primary-sidebar", "pst-primary-sidebar-modal"],
    [".secondary-toggle", "pst-secondary-sidebar", "pst-secondary-sidebar-modal"],
  ];
  const move = (from, to) => {
    Array.from(from.childNodes).forEach((child) => to.appendChild(child));
    Array.from(from.classList).forEach((name) => {
      from.classList.remove(name);
      to.classList.add(name);
    });
  };
  for (const [selector, sidebarId, modalId] of sidebars) {
    const sidebar = document.getElementById(sidebarId);
    const modal = document.getElementById(modalId);
    if (!sidebar || !modal) continue;
    document.querySelectorAll(selector).forEach((button, index) => {
      if (index === 0) return; // the theme's own listener
      button.addEventListener("click", (event) => {
        event.preventDefault();
        event.stopPropagation();
        const focused = document.activeElement;
        move(sidebar, modal);
        modal.showModal();
        modal.addEventListener("close", () => focused && focused.focus && focused.focus(), { once: true });
      });
    });
  }
});
