// A canvas drawn sharp on high-density screens: its backing store in device pixels, its drawing
// in CSS pixels. Shared by the views that paint themselves (the diagram, Play's boundary).

/**
 * Size `canvas`'s backing store for a w x h (CSS pixels) box on this screen, and answer its 2-D
 * context scaled so that one unit is one CSS pixel. The store is reallocated only when it changes.
 * @param {HTMLCanvasElement} canvas
 * @param {number} w
 * @param {number} h
 * @returns {CanvasRenderingContext2D}
 */
export function sharpContext(canvas, w, h) {
  const dpr = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}
