// Pick a weight W[l][i][j], a bias b[l][i] or (with batch norm) a hidden layer's scale
// gamma[l][i] or shift beta[l][i] by its indices, for a keyboard (or a screen reader): the network panel's "Pick…" opens a small form; Edit opens the same editor a
// click on the diagram opens. The choices follow the layer sizes on screen when the form opens.

const $ = (id) => document.getElementById(id);

/**
 * @param {{layers: () => number[], batchNorm: () => boolean,
 *   open: (edit: {layer: number, name: 'W'|'b'|'gamma'|'beta', index: number[]}) => void}} hooks
 *   `layers()` the layer sizes on screen ([inputs, ..., outputs]); `batchNorm()` whether the hidden
 *   layers have gamma and beta; `open(edit)` shows the editor
 */
export function initPicker({ layers, batchNorm, open }) {
  const box = $('param-pick');
  const select = $('wpick-param');
  const i = $('wpick-i');
  const j = $('wpick-j');

  const chosen = () => {
    const [name, l] = select.value.split(':');
    return { name, layer: Number(l) };
  };
  const limits = () => {
    const sizes = layers();
    const { name, layer } = chosen();
    // W[l] is (out, in): row i is a neuron of layer l + 1, column j one of layer l.
    i.max = String(sizes[layer + 1] - 1);
    j.max = String(sizes[layer] - 1);
    $('wpick-j-label').hidden = name !== 'W';
    j.required = name === 'W';
    $('wpick-i-text').textContent = name === 'W' ? 'Row i (neuron)' : 'Neuron i';
  };
  const fill = () => {
    const sizes = layers();
    const before = select.value;
    const options = [];
    for (let l = 0; l + 1 < sizes.length; l += 1) {
      options.push(`<option value="W:${l}">W[${l}] (${sizes[l + 1]} × ${sizes[l]})</option>`);
      options.push(`<option value="b:${l}">b[${l}] (${sizes[l + 1]})</option>`);
    }
    // gamma[l] and beta[l] belong to hidden layer l (the output layer has none).
    for (let l = 0; batchNorm() && l + 2 < sizes.length; l += 1) {
      options.push(`<option value="gamma:${l}">gamma[${l}] (${sizes[l + 1]})</option>`);
      options.push(`<option value="beta:${l}">beta[${l}] (${sizes[l + 1]})</option>`);
    }
    select.innerHTML = options.join('');
    if ([...select.options].some((o) => o.value === before)) select.value = before;
    limits();
  };
  // Filled as the summary is activated (click or Enter), before the form shows: the toggle event
  // comes a task later, and a quick keyboard user can already be in the select by then.
  box.querySelector('summary').addEventListener('click', () => {
    if (!box.open) fill();
  });
  box.addEventListener('toggle', () => {
    if (box.open) fill();
  });
  select.addEventListener('change', limits);
  $('param-pick-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const { name, layer } = chosen();
    const index = name === 'W' ? [Number(i.value), Number(j.value)] : [Number(i.value)];
    box.open = false;
    open({ name, layer, index });
  });
}
