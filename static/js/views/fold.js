// On a phone or a tablet the settings fold away under one button, so that the network diagram
// and the output view are on the first screen rather than after a screenful of settings. The
// fold is CSS's (responsive.css, below 1000 px only): on a desktop the sidebar is always open
// and the button is not shown. The learner's pick holds until the page is loaded again.

/**
 * Wire the settings button.
 * @param {HTMLButtonElement} button aria-expanded says whether the settings are shown
 * @param {HTMLElement} sidebar the settings; the class `folded` hides all but its first section
 */
export function initSettingsFold(button, sidebar) {
  const show = (open) => {
    sidebar.classList.toggle('folded', !open);
    button.setAttribute('aria-expanded', String(open));
  };
  button.addEventListener('click', () => show(sidebar.classList.contains('folded')));
  show(!sidebar.classList.contains('folded'));
}
