// Practice mode: the step-through hides a stage's results and asks the learner for them, one
// input per number, named in the trace's terms (`z[0][0][1]` is sample 0, neuron 1); batch norm's
// z_hat, u, dγ and dβ, and with dropout or a skip fa (the activation before them) too. The right answers are the trace's own numbers and the hints are the
// stage's equation with the numbers it needs filled in: the server's formula text (GET /api/options
// -> formulas) and the trace's values (`act_prime`, `da`, `da_skip`, `du`, batch norm's statistics,
// dropout's mask). Every term in force (L2, L1, the skip, batch norm, dropout) appears once, so the
// numbers of a hint add up to the answer it marks right. The page computes none of them; it only
// compares and fills in.
import { esc, fmt, isSummary } from '../format.js';
import { stagesOf } from '../stages.js';

/** A stage with more numbers than this is shown as usual (practice asks for at most this many). */
export const MAX_NUMBERS = 64;
const REL = 0.01;             // right: within 1 % of the answer,
const ABS = 1e-4;             // or within 1e-4 of it
const MAX_TERMS = 8;          // a hint's sum shows this many products, then "…"

/**
 * The one checking rule: `given` is right when it is within 1 % (relative) or 1e-4 (absolute)
 * of `truth`. A non-finite answer (null: the run diverged) is matched only by "NaN".
 */
export function isRight(given, truth) {
  if (truth === null || truth === undefined) return Number.isNaN(given);
  if (!Number.isFinite(given)) return false;
  const err = Math.abs(given - truth);
  return err <= ABS || err <= REL * Math.abs(truth);
}

/** What a learner typed, as a number: "−" and "," as a decimal point are accepted; "" is null. */
export function parseAnswer(text) {
  const t = String(text ?? '').trim().replace(/[−–]/g, '-').replace(',', '.');
  if (t === '') return null;
  if (/^nan$/i.test(t)) return NaN;
  const x = Number(t);
  return Number.isFinite(x) ? x : undefined; // undefined: not a number
}

// ---------------------------------------------------------------- the numbers a stage asks for
const n = (x) => fmt(x);
/** A number as an operand: negative ones in parentheses, so "0.5 − 0.1 · (-0.045)" reads right. */
const p = (x) => (x !== null && x < 0 ? `(${fmt(x)})` : fmt(x));
const prevName = (l) => (l === 0 ? 'X' : `a[${l - 1}]`);
const prevValue = (trace, l) => (l === 0 ? trace.X : trace.forward[l - 1].a);
const rowsOf = (v) => (Array.isArray(v[0]) ? v : [v]);
/** What hidden layer l does beyond act(z), as the trace says: batch norm, dropout, a skip. */
const remediesOf = (trace, l) => {
  const f = trace.forward[l];
  return { bn: f.z_hat !== undefined, drop: f.mask !== undefined, skip: !!trace.skip[l] };
};

/** "a · b + c · d + …" of at most MAX_TERMS products. */
function products(pairs) {
  const shown = pairs.slice(0, MAX_TERMS).map(([a, b]) => `${p(a)} · ${p(b)}`);
  if (pairs.length > MAX_TERMS) shown.push(`… (${pairs.length} terms)`);
  return shown.join(' + ');
}

/** "a + b + …" of at most MAX_TERMS numbers. */
const sum = (values) => values.slice(0, MAX_TERMS).map(p).join(' + ') + (values.length > MAX_TERMS ? ' + …' : '');

/** The server's formula with its symbols replaced by numbers (`values`: symbol -> number). */
function fillIn(formula, values) {
  if (!formula) return null;
  const names = Object.keys(values).sort((a, b) => b.length - a.length).map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return formula.replace(new RegExp(`\\b(${names.join('|')})\\b`, 'g'), (m) => p(values[m]));
}

function matrixItems(name, value, hint) {
  const items = [];
  rowsOf(value).forEach((row, i) => row.forEach((x, j) => {
    items.push({ name: Array.isArray(value[0]) ? `${name}[${i}][${j}]` : `${name}[${j}]`, value: x, group: name,
      row: i, col: j, hint: () => hint(i, j) });
  }));
  return items;
}

/** The penalties' terms of dW[l][j][k] (L2 and L1, each when in force): [symbols, numbers]. */
function penaltyTerms(ctx, l, j, k) {
  const { config, before } = ctx;
  const l2 = config.optimizer?.l2 || 0;
  const l1 = config.optimizer?.l1 || 0;
  const w = before[l].W[j][k];
  const symbols = (l2 > 0 ? ` + λ · W[${l}]` : '') + (l1 > 0 ? ` + λ₁ · sign(W[${l}])` : '');
  const numbers = (l2 > 0 ? ` + ${n(l2)} · ${p(w)}` : '') + (l1 > 0 ? ` + ${n(l1)} · sign(${p(w)})` : '');
  return [symbols, numbers];
}

function forwardItems(ctx, l) {
  const { trace, before, formulas } = ctx;
  const last = l === trace.forward.length - 1;
  const act = last ? trace.output_activation : trace.hidden_activations[l];
  const f = formulas?.activations?.[act]?.f;
  const prev = prevValue(trace, l);
  const { W, b, gamma, beta } = before[l];
  const fwd = trace.forward[l];
  const { bn, drop, skip } = last ? {} : remediesOf(trace, l);
  const input = bn ? 'u' : 'z';
  const x = bn ? fwd.u : fwd.z;
  const zHint = (i, j) => `z[${l}] = ${prevName(l)} · W[${l}]ᵀ + b[${l}]:  z[${l}][${i}][${j}] = `
    + `Σ_k ${prevName(l)}[${i}][k] · W[${l}][${j}][k] + b[${l}][${j}] = ${products(prev[i].map((v, k) => [v, W[j][k]]))} + ${p(b[j])}`;
  const zHatHint = (i, j) => `z_hat[${l}] = (z[${l}] − mean[${l}]) / √(var[${l}] + ε):  z_hat[${l}][${i}][${j}] = `
    + `(${p(fwd.z[i][j])} − ${p(fwd.mean[j])}) / √(${n(fwd.var[j])} + ${n(trace.bn_eps)})`;
  const uHint = (i, j) => `u[${l}] = γ[${l}] ⊙ z_hat[${l}] + β[${l}]:  u[${l}][${i}][${j}] = ${p(gamma[j])} · ${p(fwd.z_hat[i][j])} + ${p(beta[j])}`;
  // act(input), then dropout's factor and the skip's addend when they are in force.
  const actOf = (i, j) => {
    if (!f) return `${act}(${n(x[i][j])})`;
    if (/z_/.test(f)) return `${act}(${input}[${l}][${i}]) with ${input}[${l}][${i}] = [${x[i].map(n).join(', ')}] and j = ${j}, ${act}(z) = ${f}`;
    return fillIn(f, { z: x[i][j] });
  };
  const actHint = (name) => (i, j) => `${name} = ${act}(${input}[${l}])${f ? `, ${act}(z) = ${f}` : ''}:  ${name}[${i}][${j}] = ${actOf(i, j)}`;
  // With dropout or a skip, fa = act(input) is asked for on its own, then a = fa ⊙ mask / (1 − p) + a[l−1].
  const fa = !last && fwd.fa !== undefined;
  const aHint = (i, j) => `a[${l}] = fa[${l}]${drop ? ` ⊙ mask[${l}] / (1 − p)` : ''}${skip ? ` + a[${l - 1}]` : ''}:  a[${l}][${i}][${j}] = `
    + `${p(fwd.fa[i][j])}${drop ? ` · ${n(fwd.mask[i][j])} / (1 − ${n(trace.dropout)})` : ''}${skip ? ` + ${p(prev[i][j])}` : ''}`;
  return [...matrixItems(`z[${l}]`, fwd.z, zHint),
    ...(bn ? [...matrixItems(`z_hat[${l}]`, fwd.z_hat, zHatHint), ...matrixItems(`u[${l}]`, fwd.u, uHint)] : []),
    ...(fa ? [...matrixItems(`fa[${l}]`, fwd.fa, actHint(`fa[${l}]`)), ...matrixItems(`a[${l}]`, fwd.a, aHint)]
      : matrixItems(`a[${l}]`, fwd.a, actHint(`${last ? 'ŷ = ' : ''}a[${l}]`)))];
}

function lossItems(ctx) {
  const { trace, config, formulas } = ctx;
  const L = trace.forward.length;
  const yhat = trace.forward[L - 1].a;
  const m = trace.y.length;
  const value = formulas?.losses?.[trace.loss_name]?.value ?? trace.loss_name;
  const l2 = config.optimizer?.l2 || 0;
  const l1 = config.optimizer?.l1 || 0;
  const reg = (l2 > 0 ? ` + (λ/2) Σ‖W[l]‖² with λ = ${n(l2)}` : '') + (l1 > 0 ? ` + λ₁ Σ|W[l]| with λ₁ = ${n(l1)}` : '')
    + (l2 > 0 || l1 > 0 ? ' (the weights before the update)' : '');
  const small = yhat.length * yhat[0].length <= 12;
  const nums = small ? `, yhat = [${yhat.map((r) => `[${r.map(n).join(', ')}]`).join(', ')}], y = [${trace.y.map((r) => `[${r.map(n).join(', ')}]`).join(', ')}]`
    : ' (ŷ and y above)';
  return [{ name: 'loss', value: trace.loss, group: 'loss', row: 0, col: 0,
    hint: () => `L = ${value}${reg}, with m = ${m}${nums}` }];
}

/** Hidden layer l's delta: what reaches a[l] (through W[l+1], and along a skip), dropout's factor, act′, batch norm. */
function hiddenDeltaHint(ctx, l) {
  const { trace, before, formulas } = ctx;
  const g = trace.backward[l];
  const up = trace.backward[l + 1];
  const fwd = trace.forward[l];
  const act = trace.hidden_activations[l];
  const df = formulas?.activations?.[act]?.df;
  const { bn, drop } = remediesOf(trace, l);
  const viaSkip = up.da_skip !== undefined;
  const input = bn ? 'u' : 'z';
  const W = before[l + 1].W;
  const m = trace.y.length;
  return (i, j) => {
    const reach = `Σ_k delta[${l + 1}][${i}][k] · W[${l + 1}][k][${j}] = ${products(up.delta[i].map((d, k) => [d, W[k][j]]))} = ${p(up.da[i][j])}`
      + (viaSkip ? `, plus ∂L/∂a[${l + 1}][${i}][${j}] = ${p(up.da_skip[i][j])} along the skip` : '');
    const gSymbols = viaSkip ? `(delta[${l + 1}] · W[${l + 1}] + ∂L/∂a[${l + 1}])` : `(delta[${l + 1}] · W[${l + 1}])`;
    const gNumbers = viaSkip ? `(${p(up.da[i][j])} + ${p(up.da_skip[i][j])})` : p(up.da[i][j]);
    const slope = g.act_prime ? p(g.act_prime[i][j]) : `${act}′(${n((bn ? fwd.u : fwd.z)[i][j])})`;
    const dropSymbols = drop ? ` ⊙ mask[${l}] / (1 − p)` : '';
    const dropNumbers = drop ? ` · ${n(fwd.mask[i][j])} / (1 − ${n(trace.dropout)})` : '';
    const head = `${gSymbols}${dropSymbols} ⊙ ${act}′(${input}[${l}])${df ? `, ${act}′(z) = ${df}` : ''}`;
    const chain = `${gNumbers}${dropNumbers} · ${slope}`;
    if (!bn) return `delta[${l}] = ${head}:  ${reach};  delta[${l}][${i}][${j}] = ${chain}`;
    return `du[${l}] = ${head}, then batch norm: delta[${l}] = γ / √(var + ε) ⊙ (du − mean(du) − z_hat ⊙ mean(du ⊙ z_hat)) `
      + `with mean(du) = dβ / m and mean(du ⊙ z_hat) = dγ / m (over the batch):  ${reach};  `
      + `du[${l}][${i}][${j}] = ${chain} = ${p(g.du[i][j])};  delta[${l}][${i}][${j}] = ${p(before[l].gamma[j])} / √(${n(fwd.var[j])} + ${n(trace.bn_eps)}) · `
      + `(${p(g.du[i][j])} − ${p(g.dbeta[j])} / ${m} − ${p(fwd.z_hat[i][j])} · ${p(g.dgamma[j])} / ${m})`;
  };
}

function backwardItems(ctx, l) {
  const { trace, formulas } = ctx;
  const L = trace.forward.length;
  const g = trace.backward[l];
  const prev = prevValue(trace, l);
  let deltaHint;
  if (l === L - 1) {
    const formula = formulas?.losses?.[trace.loss_name]?.delta?.[trace.output_activation];
    const yhat = trace.forward[l].a;
    const m = trace.y.length;
    deltaHint = (i, j) => (formula
      ? `delta[${l}] = ${formula} = ${fillIn(formula, { yhat: yhat[i][j], p: yhat[i][j], y: trace.y[i][j], m })}`
      : `delta[${l}] = ∂L/∂z[${l}] with yhat = ${n(yhat[i][j])}, y = ${n(trace.y[i][j])}, m = ${m}`);
  } else {
    deltaHint = hiddenDeltaHint(ctx, l);
  }
  const bn = l < L - 1 && remediesOf(trace, l).bn;
  const dWHint = (j, k) => {
    const [symbols, numbers] = penaltyTerms(ctx, l, j, k);
    return `dW[${l}] = delta[${l}]ᵀ · ${prevName(l)}${symbols}:  dW[${l}][${j}][${k}] = `
      + `Σ_i delta[${l}][i][${j}] · ${prevName(l)}[i][${k}]${symbols.replaceAll(`[${l}]`, `[${l}][${j}][${k}]`)} = ${products(g.delta.map((row, i) => [row[j], prev[i][k]]))}${numbers}`;
  };
  const dbHint = (_, j) => (bn ? `db[${l}][${j}] = 0: batch norm subtracts the batch mean, which cancels b[${l}]`
    : `db[${l}][${j}] = Σ_i delta[${l}][i][${j}] = ${sum(g.delta.map((row) => row[j]))}`);
  const items = [...matrixItems(`delta[${l}]`, g.delta, deltaHint), ...matrixItems(`dW[${l}]`, g.dW, dWHint),
    ...matrixItems(`db[${l}]`, g.db, dbHint)];
  if (bn) {
    const zHat = trace.forward[l].z_hat;
    items.push(...matrixItems(`dγ[${l}]`, g.dgamma, (_, j) => `dγ[${l}][${j}] = Σ_i du[${l}][i][${j}] · z_hat[${l}][i][${j}] = `
      + products(g.du.map((row, i) => [row[j], zHat[i][j]]))),
    ...matrixItems(`dβ[${l}]`, g.dbeta, (_, j) => `dβ[${l}][${j}] = Σ_i du[${l}][i][${j}] = ${sum(g.du.map((row) => row[j]))}`));
  }
  return items;
}

function updateItems(ctx) {
  const { trace, before, config } = ctx;
  const opt = config.optimizer || {};
  const eta = trace.learning_rate;
  const clip = opt.clip_norm ? ` (after clipping the gradient to norm ${n(opt.clip_norm)})` : '';
  const rule = (name, grad, old, d) => (opt.name === 'sgd' || !opt.name
    ? `${name} ← ${name} − η · ${grad} = ${p(old)} − ${n(eta)} · ${p(d)}${clip}`
    : `${name} before = ${n(old)}, ${grad} = ${n(d)}, η = ${n(eta)}: ${opt.name} also uses its running averages of the gradient (the rule is above)${clip}`);
  return trace.params.flatMap((after, l) => {
    const g = trace.backward[l];
    const items = [
      ...matrixItems(`W[${l}]`, after.W, (j, k) => rule(`W[${l}]`, `dW[${l}]`, before[l].W[j][k], g.dW[j][k])),
      ...matrixItems(`b[${l}]`, after.b, (_, j) => rule(`b[${l}]`, `db[${l}]`, before[l].b[j], g.db[j])),
    ];
    if (after.gamma) {
      items.push(...matrixItems(`γ[${l}]`, after.gamma, (_, j) => rule(`γ[${l}]`, `dγ[${l}]`, before[l].gamma[j], g.dgamma[j])),
        ...matrixItems(`β[${l}]`, after.beta, (_, j) => rule(`β[${l}]`, `dβ[${l}]`, before[l].beta[j], g.dbeta[j])));
    }
    return items;
  });
}

/** The quantities of a stage that practice hides (the `data-name` of their boxes in trace.js). */
function hiddenNames(trace, stage) {
  const L = trace.forward.length;
  if (stage.kind === 'forward') {
    const l = stage.l;
    return [`z[${l}]`, `z_hat[${l}]`, `u[${l}]`, `fa[${l}]`, l === L - 1 ? `ŷ = a[${l}]` : `a[${l}]`];
  }
  if (stage.kind === 'loss') return ['L'];
  if (stage.kind === 'backward') {
    const l = stage.l;
    return [`delta[${l}]`, `dW[${l}]`, `db[${l}]`, `‖dW[${l}]‖`, `dγ[${l}]`, `dβ[${l}]`];
  }
  return trace.params.flatMap((_, l) => [`W[${l}] after`, `b[${l}] after`, `γ[${l}] after`, `β[${l}] after`]);
}

/** Whether a stage's numbers all came in full (big ones come as summaries). */
function inFull(ctx, stage) {
  const { trace, before } = ctx;
  const fields = (o, keys) => keys.map((k) => o[k]).filter((v) => v !== undefined && v !== null);
  const parts = [trace.X, trace.y, ...trace.forward.flatMap((f) => [f.z, f.a, ...fields(f, ['z_hat', 'u', 'mean', 'var', 'fa', 'mask'])]),
    ...before.flatMap((q) => [q.W, q.b, ...fields(q, ['gamma', 'beta'])])];
  if (stage.kind !== 'forward') {
    parts.push(...trace.backward.flatMap((g) => [g.delta, g.dW, g.db, ...fields(g, ['da', 'da_skip', 'du', 'dgamma', 'dbeta', 'act_prime'])]));
  }
  if (stage.kind === 'update') parts.push(...trace.params.flatMap((q) => [q.W, q.b, ...fields(q, ['gamma', 'beta'])]));
  return parts.every((v) => v !== undefined && !isSummary(v));
}

/** How many numbers a stage asks for, without building its hints. */
function countOf(trace, stage) {
  const size = (v) => (v === undefined ? 0 : Array.isArray(v) ? (Array.isArray(v[0]) ? v.length * v[0].length : v.length)
    : (isSummary(v) ? v.shape.reduce((a, b) => a * b, 1) : 1));
  if (stage.kind === 'forward') {
    const f = trace.forward[stage.l];
    return size(f.z) + size(f.z_hat) + size(f.u) + size(f.fa) + size(f.a);
  }
  if (stage.kind === 'loss') return 1;
  if (stage.kind === 'backward') {
    const g = trace.backward[stage.l];
    return size(g.delta) + size(g.dW) + size(g.db) + size(g.dgamma) + size(g.dbeta);
  }
  return trace.params.reduce((s, q) => s + size(q.W) + size(q.b) + size(q.gamma) + size(q.beta), 0);
}

function itemsOf(ctx, stage) {
  if (stage.kind === 'forward') return forwardItems(ctx, stage.l);
  if (stage.kind === 'loss') return lossItems(ctx);
  if (stage.kind === 'backward') return backwardItems(ctx, stage.l);
  return updateItems(ctx);
}

/** Whether practice asks for this stage's numbers (at most MAX_NUMBERS, all sent in full). */
function practised(ctx, stage) {
  return !!ctx.before && countOf(ctx.trace, stage) <= MAX_NUMBERS && inFull(ctx, stage);
}

// ---------------------------------------------------------------- what the learner did
// The exercise of the trace on screen (answers, verdicts, and which stages were checked or
// revealed) and the scores: this step's, and the session's running one. An attempt is one
// answer judged (a number typed anew and checked); a revealed number counts as revealed.
const zero = () => ({ right: 0, wrong: 0, revealed: 0 });
const work = { session: null, step: null, stages: {}, stepScore: zero(), total: zero() };

function stageWork(sessionId, trace, stage) {
  if (work.session !== sessionId) Object.assign(work, { session: sessionId, step: null, total: zero() });
  if (work.step !== trace.step) Object.assign(work, { step: trace.step, stages: {}, stepScore: zero() });
  if (!work.stages[stage.id]) work.stages[stage.id] = { values: {}, verdicts: {}, judged: {}, checked: false, revealed: false };
  return work.stages[stage.id];
}

/** Whether a stage's answers are still to be given: practice asks and it was neither checked nor revealed. */
function pending(view, stage) {
  if (!view.practice || !view.trace || !stage || !practised(view, stage)) return false;
  const w = stageWork(view.sessionId, view.trace, stage);
  return !(w.checked || w.revealed);
}

/** Whether the learner must check or reveal the stage on screen before moving on. */
export function practiceLocks(view) {
  if (!view.practice || !view.trace) return false;
  return pending(view, stagesOf(view.trace)[view.stageIndex]);
}

/** Whether the stage on screen still hides its answers (then the diagram and heatmaps must not show them). */
export function practiceHides(view) {
  if (!view.practice || !view.trace) return false;
  const stage = stagesOf(view.trace)[view.stageIndex];
  if (!stage || !practised(view, stage)) return false;
  const w = stageWork(view.sessionId, view.trace, stage);
  return !(w.revealed || allRight(w, itemsOf(view, stage)));
}

/** Whether the trace's batch loss is still an open question (the status bar then shows "?"). */
export function practiceHidesLoss(view) {
  if (!view.practice || !view.trace) return false;
  const stages = stagesOf(view.trace);
  const i = stages.findIndex((s) => s.kind === 'loss');
  return pending(view, stages[i]) || practiceHides({ ...view, stageIndex: i });
}

const allRight = (w, items) => items.every((it) => w.verdicts[it.name] === 'right');

function check(view, stage) {
  const w = stageWork(view.sessionId, view.trace, stage);
  for (const it of itemsOf(view, stage)) {
    const text = w.values[it.name] ?? '';
    const given = parseAnswer(text);
    const verdict = given === null || given === undefined ? 'wrong' : isRight(given, it.value) ? 'right' : 'wrong';
    if (given !== null && w.judged[it.name] !== text) {
      w.judged[it.name] = text; // a new answer: one more attempt
      work.stepScore[verdict] += 1;
      work.total[verdict] += 1;
    }
    w.verdicts[it.name] = verdict;
  }
  w.checked = true;
}

function reveal(view, stage) {
  const w = stageWork(view.sessionId, view.trace, stage);
  for (const it of itemsOf(view, stage)) {
    if (w.verdicts[it.name] === 'right') continue;
    w.values[it.name] = fmt(it.value);
    work.stepScore.revealed += 1;
    work.total.revealed += 1;
  }
  w.revealed = true;
}

// ---------------------------------------------------------------- drawing
const scoreText = (s) => `${s.right} right · ${s.wrong} wrong${s.revealed ? ` · ${s.revealed} revealed` : ''}`;

function scoreHtml() {
  return `<p class="practice-score" data-testid="practice-score">
    <span>This step: <b data-testid="practice-step-score">${scoreText(work.stepScore)}</b></span>
    <span>Session: <b data-testid="practice-session-score">${scoreText(work.total)}</b></span></p>`;
}

function inputHtml(it, w) {
  const verdict = w.verdicts[it.name] ?? '';
  const mark = verdict === 'right' ? '✓' : verdict === 'wrong' ? '✗' : '';
  const label = `${it.name}${verdict ? ` (${verdict})` : ''}`;
  return `<label class="practice-cell ${verdict}"><span class="cell-name">${esc(it.name)}</span>
    <input type="text" inputmode="decimal" autocomplete="off" spellcheck="false" data-testid="practice-input"
      data-name="${esc(it.name)}" data-verdict="${verdict}" ${w.revealed && verdict !== 'right' ? 'data-revealed="1"' : ''}
      aria-label="${esc(label)}" value="${esc(w.values[it.name] ?? '')}"><span class="mark" aria-hidden="true">${mark}</span></label>`;
}

function groupsHtml(items, w) {
  const groups = new Map();
  for (const it of items) {
    if (!groups.has(it.group)) groups.set(it.group, []);
    groups.get(it.group).push(it);
  }
  return [...groups.entries()].map(([name, list]) => {
    const cols = Math.max(...list.map((it) => it.col)) + 1;
    return `<div class="practice-group"><div class="name">${esc(name)}</div>
      <div class="practice-grid" style="grid-template-columns: repeat(${Math.min(cols, 4)}, minmax(5rem, 11rem))">${list.map((it) => inputHtml(it, w)).join('')}</div></div>`;
  }).join('');
}

function hintsHtml(items, w) {
  const wrong = items.filter((it) => w.verdicts[it.name] === 'wrong' && !w.revealed);
  if (!wrong.length) return '';
  return `<ul class="practice-hints">${wrong.map((it) => {
    const typed = parseAnswer(w.values[it.name]);
    const why = typed === null ? 'no answer yet' : typed === undefined ? 'not a number' : `${esc(w.values[it.name])} is off`;
    return `<li data-testid="practice-hint" data-for="${esc(it.name)}"><b>${esc(it.name)}</b> (${why}): <code>${esc(it.hint())}</code></li>`;
  }).join('')}</ul>`;
}

/**
 * Practice on the stage trace.js just drew into `out`: hide its results and ask for them.
 * @param {HTMLElement} out the step-through's body
 * @param {{trace, before, stageIndex, config, formulas, sessionId, practice}} view
 */
export function renderPractice(out, view) {
  const stage = stagesOf(view.trace)[view.stageIndex];
  document.body.dataset.practiceHiding = practiceHides(view) ? '1' : '0';
  if (!practised(view, stage)) {
    const count = countOf(view.trace, stage);
    const why = count > MAX_NUMBERS ? `${count} numbers here: practice asks for at most ${MAX_NUMBERS} (a smaller batch or network)`
      : 'these numbers came summarised (too large to send in full)';
    out.insertAdjacentHTML('beforeend', `<section class="practice" data-testid="practice-panel">
      <p class="hint">Practice: ${why}, so this stage is shown as usual.</p>${scoreHtml()}</section>`);
    return;
  }
  const items = itemsOf(view, stage);
  const w = stageWork(view.sessionId, view.trace, stage);
  const solved = w.revealed || allRight(w, items);
  if (!solved) {
    for (const name of hiddenNames(view.trace, stage)) {
      const box = [...out.querySelectorAll('.qty')].find((el) => el.dataset.name === name);
      if (!box) continue;
      box.classList.add('practice-hidden');
      [...box.children].slice(1).forEach((el) => el.remove());
      box.insertAdjacentHTML('beforeend', '<div class="scalar">?</div>');
    }
  }
  const gate = w.checked || w.revealed ? '' : '<span class="hint">Check or Reveal to go on to the next stage.</span>';
  out.insertAdjacentHTML('beforeend', `<section class="practice" data-testid="practice-panel" data-stage="${stage.id}">
    <h4>Your turn: ${items.length} number${items.length === 1 ? '' : 's'}${solved && !w.revealed ? ' — all right!' : ''}</h4>
    <p class="hint">Right means within 1 % or 1e-4 of the server's number. Samples are rows: <code>z[l][i][j]</code> is sample i, neuron j; <code>W[l][j][k]</code> is out × in.</p>
    <form class="practice-form" novalidate>${groupsHtml(items, w)}
      <div class="practice-actions">
        <button type="submit" class="primary" data-testid="practice-check">Check</button>
        <button type="button" data-testid="practice-reveal" ${w.revealed ? 'disabled' : ''}>Reveal</button>
        ${gate}
      </div>
    </form>
    ${hintsHtml(items, w)}
    ${scoreHtml()}
  </section>`);
}

/**
 * Wire the inputs and buttons (delegated on the step-through's body, once).
 * @param {HTMLElement} body the step-through's body
 * @param {() => object} view the view as renderPractice gets it, now
 * @param {() => void} redraw redraw the step-through and the buttons after a Check or Reveal
 */
export function initPractice(body, view, redraw) {
  const current = () => {
    const v = view();
    return { v, stage: stagesOf(v.trace)[v.stageIndex] };
  };
  body.addEventListener('input', (e) => {
    const input = e.target.closest('[data-testid="practice-input"]');
    if (!input) return;
    const { v, stage } = current();
    stageWork(v.sessionId, v.trace, stage).values[input.dataset.name] = input.value;
  });
  body.addEventListener('submit', (e) => {
    if (!e.target.closest('.practice-form')) return;
    e.preventDefault();
    const { v, stage } = current();
    check(v, stage);
    redraw();
  });
  body.addEventListener('click', (e) => {
    if (!e.target.closest('[data-testid="practice-reveal"]')) return;
    const { v, stage } = current();
    reveal(v, stage);
    redraw();
  });
}
