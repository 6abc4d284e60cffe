/**
 * The Module base: a module owns named parameters and named child modules, in creation
 * order, so `namedParameters()` yields stable dotted paths (`blocks.0.attn.qkv.weight`) that
 * checkpoints and optimizer groups key on. Parameters live outside memory scopes; freezing
 * a module turns `requiresGrad` off for its parameters so autograd never computes their
 * gradients and the optimizer skips them.
 * @module
 */

import { parameter, type Tensor } from "../tensor/tensor.ts";
import type { Rng } from "../tensor/random.ts";

/** Parameters excluded from weight decay by the layer that created them. */
const noDecaySet = new WeakSet<Tensor>();

/**
 * Whether the default grouping applies weight decay to `p`: true for matrices of linear
 * maps; false for biases, LayerNorm gains/shifts, embeddings and position tables (their
 * layers register them with `decay: false`).
 */
export function wantsDecay(p: Tensor): boolean {
  return !noDecaySet.has(p);
}

/** How a parameter is initialised. */
export type Init =
  | { kind: "normal"; std: number }
  | { kind: "uniform"; bound: number }
  | { kind: "const"; value: number };

/** Normal(0, std²) initialisation. */
export const normalInit = (std: number): Init => ({ kind: "normal", std });
/** Uniform(−bound, bound) initialisation. */
export const uniformInit = (bound: number): Init => ({ kind: "uniform", bound });
/** Constant initialisation (zeros for biases, ones for LayerNorm gains). */
export const constInit = (value: number): Init => ({ kind: "const", value });

/** Draws initial values; consumes `rng` only for random kinds, in element order. */
export function initValues(init: Init, n: number, rng: Rng): Float32Array {
  switch (init.kind) {
    case "normal":
      return rng.normals(n, init.std);
    case "uniform":
      return rng.uniforms(n, -init.bound, init.bound);
    case "const":
      return new Float32Array(n).fill(init.value);
  }
}

/** A layer or model: parameters and child modules, a train/eval flag. */
export class Module {
  #params = new Map<string, Tensor>();
  #children = new Map<string, Module>();
  /** Training mode (dropout active); set recursively by `train()` / `eval()`. */
  training = true;

  /**
   * Creates and registers a parameter `name` of `shape`, initialised by `init` from `rng`.
   * `decay: false` excludes it from weight decay under the default grouping.
   */
  protected param(
    name: string,
    shape: number[],
    init: Init,
    rng: Rng,
    opts: { decay?: boolean } = {},
  ): Tensor {
    if (this.#params.has(name) || this.#children.has(name) || name.includes(".")) {
      throw new Error(`Module: parameter name ${name} is taken or contains a dot`);
    }
    const n = shape.reduce((a, b) => a * b, 1);
    const p = parameter(initValues(init, n, rng), shape, name);
    if (opts.decay === false) noDecaySet.add(p);
    this.#params.set(name, p);
    return p;
  }

  /** Registers a child module under `name` (also from outside, to compose models). */
  child<M extends Module>(name: string, m: M): M {
    if (this.#params.has(name) || this.#children.has(name) || name.includes(".")) {
      throw new Error(`Module: child name ${name} is taken or contains a dot`);
    }
    this.#children.set(name, m);
    return m;
  }

  /** Child modules with their names, in registration order. */
  namedChildren(): [string, Module][] {
    return [...this.#children];
  }

  /**
   * Every parameter with its dotted path, depth first in registration order. A parameter
   * shared by two modules (tied weights) appears once, under its first path.
   */
  namedParameters(prefix = ""): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    this.#collect(prefix, out, seen);
    return out;
  }

  #collect(prefix: string, out: [string, Tensor][], seen: Set<Tensor>): void {
    for (const [n, p] of this.#params) {
      if (!seen.has(p)) out.push([prefix + n, p]);
      seen.add(p);
    }
    for (const [n, c] of this.#children) c.#collect(`${prefix}${n}.`, out, seen);
  }

  /** Every parameter, in `namedParameters` order. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Parameters that currently require grad (not frozen). */
  trainableParameters(): Tensor[] {
    return this.parameters().filter((p) => p.requiresGrad);
  }

  /** Number of parameter elements (only trainable ones when asked). */
  parameterCount(trainableOnly = false): number {
    const ps = trainableOnly ? this.trainableParameters() : this.parameters();
    return ps.reduce((n, p) => n + p.size, 0);
  }

  /**
   * Freezes every parameter of this module and its children: no gradient is computed for
   * them and stale gradients are dropped so the optimizer skips them.
   */
  freeze(): this {
    for (const p of this.parameters()) {
      p.requiresGrad = false;
      p.grad?.dispose();
      p.grad = null;
    }
    return this;
  }

  /** Makes every parameter of this module and its children trainable again. */
  unfreeze(): this {
    for (const p of this.parameters()) p.requiresGrad = true;
    return this;
  }

  /** Sets training mode recursively (dropout on). */
  train(on = true): this {
    this.training = on;
    for (const c of this.#children.values()) c.train(on);
    return this;
  }

  /** Sets evaluation mode recursively (dropout off). */
  eval(): this {
    return this.train(false);
  }

  /** Sets each parameter's `name` to its full dotted path (for messages). */
  nameParameters(): this {
    for (const [n, p] of this.namedParameters()) p.name = n;
    return this;
  }

  /** Releases the GPU memory of every parameter and its gradient. */
  dispose(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
      p.dispose();
    }
  }
}

/** An indexed list of modules; children are named `0`, `1`, … */
export class ModuleList<M extends Module = Module> extends Module {
  /** The modules, in order (children named 0, 1, …). */
  readonly items: M[];

  /** Registers `items` as children. */
  constructor(items: M[]) {
    super();
    this.items = items;
    items.forEach((m, i) => this.child(String(i), m));
  }

  /** The number of modules. */
  get length(): number {
    return this.items.length;
  }
}
