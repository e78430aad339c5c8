// Input features, toggled one by one like TF Playground's left column: x1, x2, x1², x2², x1·x2,
// sin(x1), sin(x2). The server computes them from the raw coordinates (dataset.features); the
// network's input layer has one neuron per feature, so toggling one starts a fresh run.

const PRETTY = { 'x1^2': 'x1²', 'x2^2': 'x2²', 'x1*x2': 'x1·x2' };

/** How many raw coordinates the data has (the plots are drawn in these, whatever the features). */
export function rawInputs(session) {
  const features = session.config.dataset.features;
  if (Array.isArray(features)) return features.some((f) => f.includes('x2')) ? 2 : 1;
  return session.dataset?.n_features ?? session.config.model.layers[0];
}

/**
 * The feature choice for a session: `{all, on}`, or null when the server offers none for this data
 * (no `features` in GET /api/options, or data that is not 1-D or 2-D).
 */
export function featuresFor(options, session) {
  const menu = options.features;
  const on = session.config.dataset.features;
  if (!menu || !Array.isArray(on)) return null;
  const all = menu[String(rawInputs(session))];
  return all ? { all, on } : null;
}

/**
 * Draw the toggles; `onChange(features)` gets the new list in the server's order.
 * @param {HTMLElement} block the fieldset (hidden when there is no choice)
 * @param {{all: string[], on: string[]}|null} choice
 * @param {(features: string[]) => void} onChange
 */
export function renderFeatures(block, choice, onChange) {
  block.hidden = !choice;
  if (!choice) return;
  const list = block.querySelector('.chips');
  const { all, on } = choice;
  list.innerHTML = all.map((f) => `<label class="chip${on.includes(f) ? ' on' : ''}">
    <input type="checkbox" data-testid="feature-${f}" value="${f}" ${on.includes(f) ? 'checked' : ''}
      ${on.length === 1 && on.includes(f) ? 'disabled title="at least one feature"' : ''}>${PRETTY[f] ?? f}</label>`).join('');
  list.querySelectorAll('input').forEach((box) => box.addEventListener('change', () => {
    const picked = [...list.querySelectorAll('input:checked')].map((b) => b.value);
    onChange(all.filter((f) => picked.includes(f)));
  }));
}
