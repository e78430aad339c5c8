// Live training: Play streams frames from the server (WS /api/sessions/{id}/live, through
// api.liveSocket) and the views redraw at most once per animation frame, with the newest frame.
// Every frame that arrives is handed on (store.js absorbs it); only drawing is skipped when
// frames come faster than the screen refreshes.
import * as api from './api.js';

/** What Play asks for: one epoch a frame, up to 60 frames a second, a 32×32 boundary every 2nd frame
 * (with every neuron's 16×16 picture on 2-D data), so that the views that show grids can redraw
 * 30 times a second. */
export const PLAY_OPTIONS = { fps: 60, epochs_per_frame: 1, grid_every: 2, resolution: 32, neurons: 16 };

// Which watched elements are at least partly inside the window, kept by an IntersectionObserver
// (asking getBoundingClientRect every frame would force a layout right after the counters changed).
const visible = new WeakMap();
const observer = new IntersectionObserver((entries) => entries.forEach((e) => visible.set(e.target, e.isIntersecting)));

/** A view for ViewRotation that draws `el` only while it is on screen (drawing what nobody sees is wasted). */
export function whenShown(el, draw) {
  observer.observe(el);
  return () => {
    if (visible.get(el) === false) return false;
    draw(el);
    return true;
  };
}

/**
 * Views redrawn in turn, newest state each time, within a time budget: a fast machine redraws
 * every view every animation frame; on a slow one (a Plotly redraw can take 50 ms) the views
 * take turns, and after a long redraw the next frames show only the counters for half as long
 * again, so charts use at most about two thirds of the main thread and the page stays responsive
 * (the counters move every frame; a click on Pause is handled at once). Each view answers
 * whether it drew anything.
 */
export class ViewRotation {
  constructor(views, budgetMs = 14) {
    this.views = views;
    this.budgetMs = budgetMs;
    this.next = 0;
    this.restUntil = 0;
    this.drawn = 0;    // view redraws so far (tests read it)
  }

  draw() {
    const t0 = performance.now();
    if (t0 < this.restUntil) return;
    const n = this.views.length;
    for (let k = 0; k < n; k += 1) {
      const i = (this.next + k) % n;
      if (this.views[i]()) {
        this.drawn += 1;
        if (performance.now() - t0 > this.budgetMs) {
          this.next = (i + 1) % n;
          break;
        }
      }
    }
    const spent = performance.now() - t0;
    this.restUntil = spent > this.budgetMs ? performance.now() + spent / 2 : 0;
    document.body.dataset.liveViews = String(this.drawn);
  }
}

/** Whether two configs differ in the learning rate alone (that one can change while playing). */
export function onlyLearningRateDiffers(a, b) {
  const strip = (c) => JSON.stringify({ ...c, optimizer: { ...c.optimizer, learning_rate: null } });
  return a.optimizer.learning_rate !== b.optimizer.learning_rate && strip(a) === strip(b);
}

/** One Play: a socket to the session, frames handed on once per animation frame, Pause, rate changes. */
export class LivePlay {
  /**
   * @param {{receive: (frame) => void, draw: (frame) => void, stopped: (why: {reason: string, detail?: string}) => void}} hooks
   *   `receive` gets every frame, `draw` the newest one once per animation frame, `stopped` says
   *   the server ended the play by itself (diverged, connection refused or lost).
   */
  constructor(hooks) {
    this.hooks = hooks;
    this.socket = null;
    this.newest = null;   // the frame waiting to be drawn
    this.drawing = 0;     // the requestAnimationFrame id
    this.waiters = {};    // message type -> {resolve, reject} of the promise waiting for it
    this.frames = 0;
  }

  get playing() { return this.socket !== null; }

  /** Start training `sessionId`; resolves once the server says it is playing. */
  play(sessionId, options = PLAY_OPTIONS) {
    if (!this.socket) {
      this.frames = 0;
      this.socket = api.liveSocket(sessionId, {
        onMessage: (m) => this.onMessage(m),
        onClose: (code, reason) => this.onClose(code, reason),
      });
    }
    this.socket.send({ action: 'play', ...options });
    return this.expect('playing');
  }

  /** Stop; resolves with the server's `paused` message once the last frame has been drawn. */
  pause() {
    if (!this.socket) return Promise.resolve(null);
    this.socket.send({ action: 'pause' });
    return this.expect('paused');
  }

  /** A new learning rate from now on; resolves with the server's answer, rejects with its error. */
  setLearningRate(learningRate) {
    if (!this.socket) return Promise.reject(new Error('not playing'));
    this.socket.send({ action: 'set', learning_rate: learningRate });
    return this.expect('set');
  }

  expect(type) {
    return new Promise((resolve, reject) => { this.waiters[type] = { resolve, reject }; });
  }

  settle(type, value, failed = false) {
    const w = this.waiters[type];
    if (!w) return false;
    delete this.waiters[type];
    if (failed) w.reject(value);
    else w.resolve(value);
    return true;
  }

  onMessage(m) {
    if (m.type === 'frame') {
      this.hooks.receive(m);
      this.newest = m;
      if (!this.drawing) this.drawing = window.requestAnimationFrame(() => this.flush());
    } else if (m.type === 'paused') {
      this.flush();
      this.end();
      if (!this.settle('paused', m)) this.hooks.stopped({ reason: m.reason, epoch: m.epoch });
    } else if (m.type === 'error') {
      // A refused value (e.g. the learning rate) fails its own request; anything else is reported.
      const err = new api.ApiError(422, m.detail, 'live');
      if (!(m.action === 'set' && this.settle('set', err, true))) this.hooks.stopped({ reason: 'error', detail: m.detail });
    } else {
      this.settle(m.type, m);
    }
  }

  onClose(code, reason) {
    if (!this.socket) return;
    this.flush();
    this.socket = null;
    const detail = reason || `the live connection closed (code ${code})`;
    const waiting = Object.keys(this.waiters);
    for (const type of waiting) this.settle(type, new api.ApiError(code, detail, 'live'), true);
    if (!waiting.length) this.hooks.stopped({ reason: 'closed', detail }); // else the waiter hears it
  }

  /** Draw the newest frame now (if one is waiting). */
  flush() {
    if (this.drawing) window.cancelAnimationFrame(this.drawing);
    this.drawing = 0;
    const frame = this.newest;
    this.newest = null;
    if (!frame) return;
    this.frames += 1;
    document.body.dataset.liveFrames = String(this.frames); // frames drawn in this Play (tests read it)
    this.hooks.draw(frame);
  }

  end() {
    const s = this.socket;
    this.socket = null;
    if (s) s.close();
  }
}
