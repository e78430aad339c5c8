// The step-through panel: one stage of the last `backward` call at a time, its equation and
// the server's actual numbers. `before` are the parameters the pass used (the trace's own
// `params` are those after the update). Activation and loss formulas are the server's text
// (GET /api/options -> formulas); act'(z), delta · W (`da`), what a skip hands down (`da_skip`),
// each hidden layer's activation and skip, and batch norm's eps and statistics are the trace's
// own: the page derives none of them, and says "—" when the server sent none.
import { esc, fmt, quantityHtml, shapeOf } from '../format.js';
import { stagesOf } from '../stages.js';
import { renderPractice } from './practice.js';

const pills = () => document.getElementById('stage-pills');
const body = () => document.getElementById('trace-body');

const MISSING = '—';

/** An activation's formula as the server writes it: `key` 'f' for act(z), 'df' for act′(z). */
const actText = (formulas, name, key) => esc(formulas?.activations?.[name]?.[key] ?? MISSING);
/** A loss's value, and its output delta for one output activation, as the server writes them. */
const lossText = (formulas, loss) => esc(formulas?.losses?.[loss]?.value ?? MISSING);
const deltaText = (formulas, loss, out) => esc(formulas?.losses?.[loss]?.delta?.[out] ?? MISSING);

/** A quantity the server did not send (an older server): its name and "—". */
const missingHtml = (name) => `<div class="qty" data-name="${name}"><div class="name">${name}</div><div class="scalar">${MISSING}</div></div>`;

const q = (name, value, opts) => quantityHtml(name, value, opts);
const prevName = (l) => (l === 0 ? 'X' : `a[${l - 1}]`);
const prevValue = (trace, l) => (l === 0 ? trace.X : trace.forward[l - 1].a);

/** Batch norm's eps as the server sent it, written as engineers write it (1e-5). */
const epsText = (x) => (typeof x === 'number' && x > 0 && x < 1e-3 ? x.toExponential() : fmt(x));

/** Hidden layer l's activation, as the server names it. */
const hiddenAct = (trace, l) => trace.hidden_activations[l];

/** Whether hidden layer l adds its input a[l-1] (the server's skip flags; the output layer never does). */
const skipped = (trace, l) => !!trace.skip[l];

function forwardStage(trace, before, formulas, l) {
  const L = trace.forward.length;
  const last = l === L - 1;
  const act = last ? trace.output_activation : hiddenAct(trace, l);
  const layers = trace.layers;
  const f = trace.forward[l];
  const bn = !last && f.z_hat !== undefined;
  const drop = !last && f.mask !== undefined;
  const skip = skipped(trace, l);
  const p = trace.dropout;
  const input = bn ? 'u' : 'z';
  // The hidden layer's stages in the engine's order: batch norm, activation, dropout, skip.
  const eq = [`z[${l}] = ${prevName(l)} · W[${l}]ᵀ + b[${l}]`];
  if (bn) {
    eq.push(`z_hat[${l}] = (z[${l}] − mean) / √(var + ${epsText(trace.bn_eps)})   (mean[${l}], biased var[${l}] over the batch's ${shapeOf(f.z)[0] ?? ''} rows)`,
      `u[${l}] = γ[${l}] ⊙ z_hat[${l}] + β[${l}]`);
  }
  // With dropout or a skip the server also sends fa = act(input), the value before them.
  const fa = !last && f.fa !== undefined;
  if (fa) eq.push(`fa[${l}] = ${act}(${input}[${l}])`);
  let own = `${act}(${input}[${l}])`;
  if (drop) own = `${own} ⊙ mask[${l}] / (1 − p)   with p = ${fmt(p)}`;
  if (last) eq.push(`ŷ = a[${l}] = ${act}(z[${l}])`);
  else eq.push(skip ? `a[${l}] = ${own}  + a[${l - 1}]   (skip)` : `a[${l}] = ${own}`);
  eq.push(`  ${act}(z) = ${actText(formulas, act, 'f')}`);
  const title = [act, bn ? 'batch norm' : '', drop ? 'dropout' : '', skip ? 'skip' : ''].filter(Boolean).join(', ');
  return `
    <h3>Forward · layer ${l}: ${layers[l]} → ${layers[l + 1]} (${title})</h3>
    <div class="eq">${eq.join('\n')}</div>
    <div class="quantities">
      ${q(prevName(l), prevValue(trace, l))}
      ${q(`W[${l}]`, before[l].W, { note: 'out × in' })}
      ${q(`b[${l}]`, before[l].b)}
      ${q(`z[${l}]`, f.z)}
      ${bn ? q(`mean[${l}]`, f.mean) + q(`var[${l}]`, f.var) + q(`z_hat[${l}]`, f.z_hat) + q(`γ[${l}]`, before[l].gamma) + q(`β[${l}]`, before[l].beta) + q(`u[${l}]`, f.u) : ''}
      ${fa ? q(`fa[${l}]`, f.fa, { note: `${act}, before ${drop ? 'dropout' : 'the skip'}` }) : ''}
      ${drop ? q(`mask[${l}]`, f.mask, { note: '0 = dropped' }) : ''}
      ${q(last ? `ŷ = a[${l}]` : `a[${l}]`, f.a)}
    </div>`;
}

function lossStage(trace, config, formulas) {
  const L = trace.forward.length;
  const l2 = config.optimizer?.l2 || 0;
  const l1 = config.optimizer?.l1 || 0;
  const reg = (l2 > 0 ? `\n  + (λ/2) · Σ‖W[l]‖²   with λ = ${fmt(l2)}` : '')
    + (l1 > 0 ? `\n  + λ₁ · Σ|W[l]|   with λ₁ = ${fmt(l1)}` : '');
  const m = shapeOf(trace.y)[0] ?? trace.indices.length;
  return `
    <h3>Loss (${trace.loss_name}) over the batch of m = ${m}</h3>
    <div class="eq">L = ${trace.loss_name} over the batch${reg}\n  ${trace.loss_name}: ${lossText(formulas, trace.loss_name)}</div>
    <div class="quantities">
      ${q(`ŷ = a[${L - 1}]`, trace.forward[L - 1].a)}
      ${q('y', trace.y)}
      ${q('L', trace.loss, { note: trace.finite === false ? 'NaN (diverged)' : '' })}
    </div>`;
}

function backwardStage(trace, before, config, formulas, l) {
  const L = trace.forward.length;
  const g = trace.backward[l];
  const l2 = config.optimizer?.l2 || 0;
  let deltaEq;
  let extra = '';
  if (l === L - 1) {
    deltaEq = `delta[${l}] = ∂L/∂z[${l}] = ${deltaText(formulas, trace.loss_name, trace.output_activation)}`;
  } else {
    const act = hiddenAct(trace, l);
    const f = trace.forward[l];
    const bn = f.z_hat !== undefined;
    const drop = f.mask !== undefined;
    const input = bn ? 'u' : 'z';
    const up = trace.backward[l + 1];
    const viaSkip = up.da_skip !== undefined;
    const dA = `∂L/∂a[${l}] = delta[${l + 1}] · W[${l + 1}]${viaSkip ? ` + ∂L/∂a[${l + 1}]   (the skip hands it down)` : ''}`;
    if (!bn && !drop) {
      deltaEq = `${viaSkip ? `${dA}\ndelta[${l}] = ∂L/∂a[${l}]` : `delta[${l}] = (delta[${l + 1}] · W[${l + 1}])`} ⊙ ${act}′(z[${l}])`;
    } else {
      const du = `${bn ? 'du' : `delta[${l}]`} = ∂L/∂a[${l}]${drop ? ` ⊙ mask[${l}] / (1 − p)` : ''} ⊙ ${act}′(${input}[${l}])`;
      deltaEq = `${dA}\n${du}`;
      if (bn) {
        deltaEq += `\ndγ[${l}] = Σ du ⊙ z_hat[${l}],   dβ[${l}] = Σ du\n`
          + `delta[${l}] = γ / √(var + ${epsText(trace.bn_eps)}) ⊙ (du − mean(du) − z_hat ⊙ mean(du ⊙ z_hat))   (means over the batch)`;
      }
    }
    deltaEq += `\n  ${act}′(z) = ${actText(formulas, act, 'df')}`;
    extra = up.da === undefined ? missingHtml(`delta[${l + 1}] · W[${l + 1}]`)
      : q(`delta[${l + 1}] · W[${l + 1}]`, up.da, { note: viaSkip ? 'the part through W' : '= ∂L/∂a' });
    if (viaSkip) extra += q(`∂L/∂a[${l + 1}]`, up.da_skip, { note: 'along the skip' });
    if (drop) extra += q(`mask[${l}]`, f.mask, { note: '0 = dropped' });
    // The factor backprop multiplied by, as the server computed it (NaN where it diverged).
    const slope = g.act_prime;
    const name = `${act}′(${input}[${l}])`;
    extra += slope === undefined || slope === null ? missingHtml(name) : q(name, slope);
    if (bn) extra += q(`du[${l}]`, g.du) + q(`dγ[${l}]`, g.dgamma) + q(`dβ[${l}]`, g.dbeta);
  }
  const l1 = config.optimizer?.l1 || 0;
  const reg = (l2 > 0 ? ` + λ · W[${l}]` : '') + (l1 > 0 ? ` + λ₁ · sign(W[${l}])` : '');
  const bnBias = trace.forward[l].z_hat !== undefined ? '   (0: the batch mean cancels b)' : '';
  return `
    <h3>Backward · layer ${l}: the error at its ${trace.layers[l + 1]} neuron${trace.layers[l + 1] === 1 ? '' : 's'}</h3>
    <div class="eq bwd">${deltaEq}\ndW[${l}] = delta[${l}]ᵀ · ${prevName(l)}${reg}\ndb[${l}] = Σ over the batch of delta[${l}]${bnBias}</div>
    <div class="quantities">
      ${extra}
      ${q(`delta[${l}]`, g.delta)}
      ${q(prevName(l), prevValue(trace, l))}
      ${q(`dW[${l}]`, g.dW, { note: 'out × in' })}
      ${q(`db[${l}]`, g.db)}
      ${q(`‖dW[${l}]‖`, g.grad_norm)}
    </div>`;
}

function updateRule(config, lr) {
  const opt = config.optimizer || {};
  const eta = `η = ${fmt(lr)}`;
  if (opt.name === 'momentum') {
    const look = opt.nesterov ? 'W ← W + μ·v − η·dW  (Nesterov)' : 'W ← W + v';
    return `v ← μ·v − η·dW   then   ${look}\n(${eta}, μ = ${fmt(opt.momentum)}; the same for b with db)`;
  }
  if (opt.name === 'adam') {
    return `m ← β₁m + (1−β₁)·dW,  v ← β₂v + (1−β₂)·dW²\nW ← W − η · m̂ / (√v̂ + ε)   (${eta}; the same for b)`;
  }
  return `W[l] ← W[l] − η · dW[l]\nb[l] ← b[l] − η · db[l]        (${eta})`;
}

function updateStage(trace, before, config) {
  const clip = config.optimizer?.clip_norm ? `\n(gradients clipped to norm ${fmt(config.optimizer.clip_norm)} first)` : '';
  const rows = trace.backward.map((g, l) => `
    <div class="update-layer quantities">
      ${q(`W[${l}] before`, before[l].W)}
      ${q(`dW[${l}]`, g.dW)}
      ${q(`W[${l}] after`, trace.params[l].W)}
      ${q(`b[${l}] after`, trace.params[l].b)}
      ${trace.params[l].gamma ? q(`γ[${l}] after`, trace.params[l].gamma) + q(`β[${l}] after`, trace.params[l].beta) : ''}
    </div>`).join('');
  return `
    <h3>Update: every layer takes a step down its gradient</h3>
    <div class="eq">${updateRule(config, trace.learning_rate)}${clip}</div>
    ${rows}`;
}

/**
 * Draw the panel.
 * @param {{trace: object|null, before: {W, b}[]|null, stageIndex: number, config: object,
 *          formulas: object|null, practice?: boolean, sessionId?: string}} view  `formulas` is
 *          GET /api/options' (null: none sent); with `practice` the stage asks for its numbers.
 * The stage pills carry `data-index`; the page wires their clicks.
 */
export function renderTrace(view) {
  const { trace, before, stageIndex, config, formulas } = view;
  const nav = pills();
  const out = body();
  document.body.dataset.practiceHiding = '0';
  document.body.dataset.practice = view.practice ? '1' : '0';
  if (!trace) {
    nav.innerHTML = '';
    out.innerHTML = `<p class="empty">Press <b>Step</b> (or →) to run one forward and backward pass on a
      minibatch and walk through it here, every number with its equation.
      <b>Worked example</b> loads the derivation's 2-2-1 network.</p>
      <table class="cheat">
        <tr><th>forward</th><td>z[l] = a[l−1] · W[l]ᵀ + b[l]<br>a[l] = act(z[l]),   a[−1] = X</td></tr>
        <tr><th>loss</th><td>L = batch mean of loss(ŷ, y)</td></tr>
        <tr class="bwd"><th>backward</th><td>delta[L−1] = ∂L/∂z[L−1]<br>delta[l] = (delta[l+1] · W[l+1])<br>           ⊙ act′(z[l])<br>dW[l] = delta[l]ᵀ · a[l−1]<br>db[l] = Σ delta[l]</td></tr>
        <tr><th>update</th><td>W ← W − η · dW,   b ← b − η · db</td></tr>
      </table>`;
    return;
  }
  const stages = stagesOf(trace);
  nav.innerHTML = stages.map((s, i) => {
    const cls = [s.kind === 'forward' ? 'fwd' : s.kind === 'backward' ? 'bwd' : '', i === stageIndex ? 'current' : ''].join(' ');
    return `<button type="button" class="${cls}" data-stage="${s.id}" data-index="${i}" aria-current="${i === stageIndex}">${s.label}</button>`;
  }).join('');

  const stage = stages[stageIndex];
  const m = trace.indices.length;
  const shown = trace.indices.slice(0, 8).join(', ') + (m > 8 ? ', …' : '');
  const meta = `<p class="meta">Step ${trace.step} · stage ${stageIndex + 1} of ${stages.length} · batch of ${m} sample${m === 1 ? '' : 's'} (training rows ${shown})${trace.finite === false ? ' · <b>NaN (diverged)</b>' : ''}</p>`;
  let html;
  if (stage.kind === 'forward') html = forwardStage(trace, before, formulas, stage.l);
  else if (stage.kind === 'loss') html = lossStage(trace, config, formulas);
  else if (stage.kind === 'backward') html = backwardStage(trace, before, config, formulas, stage.l);
  else html = updateStage(trace, before, config);
  out.innerHTML = meta + html;
  out.dataset.stage = stage.id;
  if (view.practice) renderPractice(out, view);
}
