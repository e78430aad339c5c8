// Tools -> Code (PyTorch) / Code (NumPy): the session as a standalone script (GET .../code),
// shown in a dialog with the number of steps it takes, a Copy button and a Download link.
// The script is the server's; the page only shows it.
import * as api from '../api.js';

const LABELS = { pytorch: 'PyTorch', numpy: 'NumPy' };

let dialog = null;
let current = { id: null, framework: 'numpy', url: null };

/** The dialog, built once on first use. */
function view() {
  if (dialog) return dialog;
  dialog = document.createElement('dialog');
  dialog.id = 'code-view';
  dialog.className = 'code-view';
  dialog.dataset.testid = 'code-view';
  dialog.setAttribute('aria-labelledby', 'code-title');
  dialog.innerHTML = `
    <h2 id="code-title">Code</h2>
    <p>A standalone script that takes this session's next steps exactly as the session would, then
      prints one JSON line: the losses, the last step's dW and db, and the parameters after it.</p>
    <div class="code-tools">
      <label>Steps <input type="number" id="code-steps" data-testid="code-steps" min="1" max="1000" value="1"></label>
      <button type="button" id="code-copy" data-testid="code-copy">Copy</button>
      <a id="code-download" data-testid="code-download" download>Download</a>
      <span id="code-status" data-testid="code-status" role="status"></span>
      <button type="button" id="code-close" data-testid="code-close" class="ghost">Close</button>
    </div>
    <pre id="code-text" data-testid="code-text" style="max-height: 60vh; overflow: auto; font-size: 0.8rem;"></pre>`;
  document.body.append(dialog);
  dialog.style.maxWidth = 'min(1100px, 95vw)';
  const steps = dialog.querySelector('#code-steps');
  steps.addEventListener('change', () => load());
  dialog.querySelector('#code-close').addEventListener('click', () => dialog.close());
  dialog.querySelector('#code-copy').addEventListener('click', async () => {
    const status = dialog.querySelector('#code-status');
    try {
      await navigator.clipboard.writeText(dialog.querySelector('#code-text').textContent);
      status.textContent = 'Copied.';
    } catch (err) {
      status.textContent = `Copy failed (${err.message}): select the text instead.`;
    }
  });
  return dialog;
}

let onErrorShown = () => {};

/** Fetch the script for the current session, framework and steps, and show it. */
async function load() {
  const d = view();
  const input = d.querySelector('#code-steps');
  const steps = Math.min(1000, Math.max(1, Math.round(Number(input.value) || 1)));
  input.value = String(steps);
  const pre = d.querySelector('#code-text');
  const status = d.querySelector('#code-status');
  status.textContent = 'Loading…';
  d.dataset.state = 'loading';
  try {
    const { text, filename } = await api.codeScript(current.id, current.framework, steps);
    pre.textContent = text;
    if (current.url) URL.revokeObjectURL(current.url);
    current.url = URL.createObjectURL(new Blob([text], { type: 'text/x-python' }));
    const link = d.querySelector('#code-download');
    link.href = current.url;
    link.download = filename;
    link.textContent = `Download ${filename}`;
    status.textContent = '';
    d.dataset.state = 'ready';
  } catch (err) {
    status.textContent = err.message;
    d.dataset.state = 'error';
    onErrorShown(err);
  }
}

/**
 * Open the script view of session `id` in `framework` ('pytorch' or 'numpy').
 * @param {string} id
 * @param {string} framework
 * @param {(err: Error) => void} onError
 */
export function openCodeView(id, framework, onError) {
  current = { ...current, id, framework };
  onErrorShown = onError;
  const d = view();
  d.querySelector('#code-title').textContent = `Code (${LABELS[framework] ?? framework})`;
  d.querySelector('#code-text').textContent = '';
  if (!d.open) d.showModal();
  load();
}
