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
