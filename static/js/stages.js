// The stages of one Step, in the order backprop does them: forward layer 0..L-1, the loss,
// backward layer L-1..0, the update. Shared by the step-through panel and the network diagram.

/**
 * @param {object} trace a BackwardTrace (forward and backward have one entry per weight layer)
 * @returns {{kind: 'forward'|'loss'|'backward'|'update', l?: number, id: string, label: string}[]}
 */
export function stagesOf(trace) {
  const L = trace.forward.length;
  const stages = [];
  for (let l = 0; l < L; l += 1) stages.push({ kind: 'forward', l, id: `forward-${l}`, label: `forward ${l}` });
  stages.push({ kind: 'loss', id: 'loss', label: 'loss' });
  for (let l = L - 1; l >= 0; l -= 1) stages.push({ kind: 'backward', l, id: `backward-${l}`, label: `backward ${l}` });
  stages.push({ kind: 'update', id: 'update', label: 'update' });
  return stages;
}

/** Derivative of a hidden activation at z, from z and a = act(z) (display only). */
export function activationSlope(name, z, a) {
  if (name === 'linear') return 1;
  if (z === null || a === null) return null; // a non-finite value (diverged)
  switch (name) {
    case 'relu':
    case 'leaky_relu':
      // a / z is 1 on the right and the (leaky) slope on the left; 0 at z = 0.
      return z === 0 ? 0 : a / z;
    case 'sigmoid':
      return a * (1 - a);
    case 'tanh':
      return 1 - a * a;
    default:
      return null;
  }
}
