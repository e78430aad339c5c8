// Pausing Play, handed down: the banner and the session's server calls stop Play before they
// change what is on screen, but Play lives above them (playback.js). main.js hands its stopPlay
// down here once at start-up, so no module imports upwards.

let stop = () => Promise.resolve(null);

/** Set what pausing does (main.js: playback's stopPlay). */
export function setPause(fn) {
  stop = fn;
}

/** Pause Play; resolves once the server has stopped (null when nothing was playing). */
export const pause = () => stop();
