// Classroom mode (TF Playground's `_hide` flags): `#...&hide=dataset,optimizer,learning-rate`
// hides the named controls, so a teacher's link opens with only what the lesson needs. A name is
// a control's data-testid (the help dialog lists them); a field goes with its label, a chart
// with its panel, and a sidebar section left with nothing to show goes too.

const HIDDEN = 'classroom-hidden';

/** The element a name hides: the control with its label, or the whole panel of a chart. */
function targetOf(el) {
  if (el.classList.contains('chart') || el.id === 'gradcheck-result') return el.closest('.panel') || el;
  return el.closest('label') || el;
}

const visibleControl = (section) => [...section.querySelectorAll('select, input, textarea, button, summary')]
  .some((c) => !c.closest(`.${HIDDEN}`));

/**
 * Hide the named controls (and show again any that a previous link hid).
 * @param {string[]} names
 * @returns {string[]} the names that match nothing on the page
 */
export function applyHide(names) {
  document.querySelectorAll(`.${HIDDEN}`).forEach((el) => el.classList.remove(HIDDEN));
  const unknown = [];
  for (const name of names) {
    const matches = document.querySelectorAll(`[data-testid="${CSS.escape(name)}"]`);
    if (!matches.length) unknown.push(name);
    matches.forEach((el) => targetOf(el).classList.add(HIDDEN));
  }
  const sidebar = document.getElementById('controls');
  sidebar.querySelectorAll(':scope > section').forEach((section) => {
    if (!visibleControl(section)) section.classList.add(HIDDEN);
  });
  if (!sidebar.classList.contains(HIDDEN) && !visibleControl(sidebar)) sidebar.classList.add(HIDDEN);
  document.body.classList.toggle('no-sidebar', sidebar.classList.contains(HIDDEN));
  document.body.dataset.hidden = names.join(',');
  return unknown;
}
