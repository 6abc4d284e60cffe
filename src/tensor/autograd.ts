/**
 * Reverse-mode autograd over the tape that ops record: `backward` sorts the graph
 * topologically (visited set), runs each node's backward exactly once in reverse order and
 * sums gradients where a tensor is used more than once. Leaf tensors that require grad
 * (parameters) accumulate into `.grad`, which survives scopes until `zeroGrad`.
 * @module
 */

import { type GradNode, isGradEnabled, noGrad, Tensor } from "./tensor.ts";
import { keep } from "./scope.ts";
import { ShapeError } from "./errors.ts";
import { add, scalarTensor } from "./ops/binary.ts";
import { sameShape } from "./shape.ts";
import { ones } from "./ops/create.ts";

/**
 * Attaches an autograd node to `out` when recording is on and any input requires grad.
 * Every differentiable op ends with this call.
 */
export function record(
  out: Tensor,
  op: string,
  inputs: Tensor[],
  backward: GradNode["backward"],
): Tensor {
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.node = { op, inputs, backward };
  }
  return out;
}

function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative DFS: deep graphs (many layers × steps) must not overflow the JS stack.
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1] += 1;
      const next = inputs[i];
      if (next.requiresGrad && !visited.has(next)) {
        visited.add(next);
        stack.push([next, 0]);
      }
    } else {
      order.push(t);
      stack.pop();
    }
  }
  return order; // inputs before the tensors that use them
}

/**
 * Back-propagates from `root` (a scalar unless `grad` is given) into every leaf that
 * requires grad. Runs without recording, inside the caller's memory scope.
 */
export function backward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad) {
    throw new Error(`backward: ${root} does not require grad (nothing on the tape leads to it)`);
  }
  if (!grad && root.size !== 1) {
    throw new ShapeError("backward", "needs a scalar root or an explicit gradient", [
      ...root.shape,
    ]);
  }
  noGrad(() => {
    const grads = new Map<Tensor, Tensor>();
    grads.set(root, grad ?? ones(root.shape));
    const order = topologicalOrder(root);
    const assigned = new Set<Tensor>();
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k];
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      if (!t.node) {
        accumulateLeaf(t, g, assigned);
        continue;
      }
      const inputGrads = t.node.backward(g);
      t.node.inputs.forEach((input, i) => {
        const gi = inputGrads[i];
        if (!gi || !input.requiresGrad) return;
        const prev = grads.get(input);
        grads.set(input, prev ? add(prev, gi) : gi);
      });
    }
  });
}

function accumulateLeaf(leaf: Tensor, g: Tensor, assigned: Set<Tensor>): void {
  if (leaf.grad) {
    const sum = keep(add(leaf.grad, g));
    leaf.grad.dispose();
    leaf.grad = sum;
  } else {
    // A gradient tensor may be shared (e.g. add passes its gradient to both inputs);
    // each leaf must own its own copy.
    if (!sameShape(g.shape, leaf.shape)) {
      throw new ShapeError("backward", `gradient shape differs from ${leaf}`, [...g.shape]);
    }
    const own = assigned.has(g) ? add(g, scalarTensor(0)) : g;
    assigned.add(own);
    leaf.grad = keep(own);
  }
}

/** Drops the accumulated gradients of the given tensors. */
export function zeroGrad(params: Iterable<Tensor>): void {
  for (const p of params) {
    p.grad?.dispose();
    p.grad = null;
  }
}
