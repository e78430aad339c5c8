// The Tools menu: the session as JSON (GET .../export), the charts as PNG (Plotly.downloadImage,
// made in the page at a projector-friendly size), the HTML report of the run (GET .../report), and
// the session as a PyTorch or NumPy script (views/code.js).
/* global Plotly */
import * as api from '../api.js';
import { openCodeView } from './code.js';

const PNG = { format: 'png', width: 1200, height: 700 };

/**
 * Point the menu's links at the session now on screen (called whenever it changes).
 * @param {string} id the session id
 */
export function linkDownloads(id) {
  const json = document.getElementById('dl-json');
  json.href = api.exportUrl(id);
  json.download = `mlp-playground-session-${id}.json`;
  const report = document.getElementById('dl-report');
  report.href = api.reportUrl(id);
  report.download = `mlp-playground-report-${id}.html`;
}

/**
 * Wire the chart buttons; `sessionId()` names the files after the session on screen.
 * @param {() => string|null} sessionId
 * @param {(err: Error) => void} onError
 */
export function initDownloads(sessionId, onError) {
  const menu = document.getElementById('tools');
  menu.querySelectorAll('button[data-chart]').forEach((button) => button.addEventListener('click', () => {
    const el = document.getElementById(button.dataset.chart);
    const name = button.dataset.chart.replace('-chart', '');
    Plotly.downloadImage(el, { ...PNG, filename: `mlp-playground-${name}-${sessionId() ?? 'chart'}` }).catch(onError);
    menu.open = false;
  }));
  menu.querySelectorAll('button[data-code]').forEach((button) => button.addEventListener('click', () => {
    menu.open = false;
    if (sessionId()) openCodeView(sessionId(), button.dataset.code, onError);
  }));
  menu.querySelectorAll('a').forEach((a) => a.addEventListener('click', () => { menu.open = false; }));
  // A click elsewhere closes the menu, as menus do.
  document.addEventListener('click', (e) => {
    if (menu.open && !menu.contains(e.target)) menu.open = false;
  });
}
