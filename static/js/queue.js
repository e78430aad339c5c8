// The user's actions run one at a time, in order, through this queue; `data-busy` on <body>
// tells tests and styles when all is idle.
import { showError } from './banner.js';
import { refreshOutput, renderAll } from './render.js';

let queue = Promise.resolve();
let pending = 0;

/** Queue `action` after every action before it; a failure is shown on the banner. */
export function run(action) {
  pending += 1;
  document.body.dataset.busy = '1';
  const p = queue.then(action).catch(showError).finally(() => {
    pending -= 1;
    if (!pending) document.body.dataset.busy = '0';
  });
  queue = p;
  return p;
}

/** Redraw every view after the session changed. */
export async function afterTraining() {
  renderAll();
  await refreshOutput();
}
