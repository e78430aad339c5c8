// The banner over the page: what went wrong (the server's refusal, a page error), divergence,
// and early stopping. An error also pauses Play.
import * as api from './api.js';
import { pause } from './pause.js';

const $ = (id) => document.getElementById(id);

export function banner(text, kind = 'error') {
  const el = $('banner');
  el.className = `banner ${kind}`;
  $('banner-text').textContent = text;
  el.hidden = false;
}

export const clearBanner = () => { $('banner').hidden = true; };

export function showError(err) {
  pause();
  if (err instanceof api.ApiError) {
    const who = err.status ? `The server refused the request (${err.status})` : 'No answer from the server';
    banner(`${who}: ${err.message}`);
  } else {
    banner(`Something went wrong in the page: ${err && err.message ? err.message : err}`);
    console.warn(err); // keep the stack for whoever opens the console
  }
}

export function diverged(where) {
  pause();
  banner(`Training diverged: the loss is NaN (diverged) ${where}. Lower the learning rate (or L2), then press Reset.`, 'diverged');
}

export function stoppedEarly(epoch) {
  banner(`Early stopping ended this run at epoch ${epoch}: the test loss stopped improving. Reset trains again.`, 'diverged');
}
