// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  // Move focus to the error summary so screen-reader and keyboard users hear what failed.
  const summary = document.querySelector(".error-summary");
  if (summary) { summary.setAttribute("tabindex", "-1"); summary.focus(); }
  // The skip link moves keyboard focus, not only the scroll position, in every browser.
  const skip = document.querySelector(".skip-link");
  if (skip) {
    skip.addEventListener("click", () => {
      const target = document.getElementById("main");
      if (target) { target.focus(); }
    });
  }
});
