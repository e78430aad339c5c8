// CSV upload (TF Playground #102): pick a file, the server checks and parses it
// (POST /api/datasets/csv: numeric columns only, bounded size, errors that name the row and
// column), and training starts on the table. The target column and the task can be changed after.
import * as api from '../api.js';
import { clone } from '../state.js';

const $ = (id) => document.getElementById(id);
const DELIMITERS = [',', ';', '\t'];

/** The cells of the file's first line, split on its most frequent delimiter (for the column picker only). */
function firstLineCells(text) {
  const line = text.split(/\r?\n/, 1)[0] || '';
  const delimiter = DELIMITERS.reduce((best, d) => (line.split(d).length > line.split(best).length ? d : best), ',');
  return line.split(delimiter).map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
}

/**
 * The config of a session on a parsed table: the same network and training, its input and
 * output sizes, the usual output pair for its task (the server picks it), standardized inputs.
 * @param {object} config the config on screen
 * @param {object} table the answer of POST /api/datasets/csv
 */
export function tableConfig(config, table) {
  const c = clone(config);
  c.dataset = {
    name: 'inline', X: table.X, y: table.y, task: table.task, standardize: true,
    test_fraction: 0.2, seed: config.dataset.seed ?? config.seed,
  };
  const layers = c.model.layers;
  c.model.layers = [table.n_features, ...layers.slice(1, -1), table.y[0].length];
  for (const key of ['weights', 'biases', 'output_activation', 'loss']) delete c.model[key];
  return c;
}

/**
 * Wire the CSV controls.
 * @param {{run: (action: () => Promise<unknown>) => Promise<unknown>, train: (table: object) => Promise<unknown>}} hooks
 *   `run` queues an action (errors go to the banner); `train(table)` starts a session on it
 */
export function initCsv({ run, train }) {
  const file = $('csv-file');
  const target = $('csv-target');
  const task = $('csv-task');
  const info = $('csv-info');
  let text = null;
  let columns = [];

  const parse = async () => {
    if (text === null) return;
    const body = { csv: text, task: task.value || null };
    if (target.value !== '') body.target = Number(target.value);
    info.textContent = 'checking…';
    let table;
    try {
      table = await api.parseCsv(body);
    } catch (err) {
      info.textContent = 'The server refused this file: see the message above.';
      throw err;
    }
    if (!columns.length) {
      const cells = firstLineCells(text);
      const header = cells.includes(table.target_name);
      columns = cells.map((c, i) => (header ? c : `column ${i + 1}`));
      target.innerHTML = columns.map((c, i) => `<option value="${i}"></option>`).join('');
      target.querySelectorAll('option').forEach((o, i) => { o.textContent = columns[i]; });
      target.value = String(header ? cells.indexOf(table.target_name) : columns.length - 1);
      target.disabled = false;
    }
    const classes = table.class_names ? `, ${table.class_names.length} classes` : '';
    info.textContent = `${table.n_samples} rows, ${table.n_features} input columns → ${table.target_name} (${table.task}${classes}).`;
    await train(table);
  };

  file.addEventListener('change', () => {
    const chosen = file.files[0];
    if (!chosen) return;
    columns = [];
    target.innerHTML = '';
    target.disabled = true;
    run(async () => {
      text = await chosen.text();
      await parse();
    });
  });
  target.addEventListener('change', () => run(parse));
  task.addEventListener('change', () => run(parse));
}
