#!/usr/bin/env python3
"""Generates extension/engine/config/schema.json (the JSON Schema of *.experiment.json files).
One source for descriptions: each property's `description` doubles as its `markdownDescription`; `x-source` (the paper a
field comes from) and `x-optimizers` (the optimizers it applies to) feed the extension's hover and completion.
Run: python3 scripts/gen-schema.py   (the validator in validate.ts walks the generated schema)."""
import json, os

def P(typ, desc, source=None, optimizers=None, **kw):
    d = {"type": typ} if typ else {}
    d.update(kw)
    # Editor-only annotations (the extension's hover and completion read them; validators ignore x-*):
    # x-source names the paper a field comes from, x-optimizers the optimizers it applies to.
    if source:
        d["x-source"] = source
    if optimizers:
        d["x-optimizers"] = optimizers
    d["description"] = desc.replace("`", "")
    d["markdownDescription"] = desc
    return d

def obj(desc, props, required=None, **kw):
    d = {"type": "object", "additionalProperties": False, "properties": props}
    if required:
        d["required"] = required
    d.update(kw)
    d["description"] = desc.replace("`", "")
    d["markdownDescription"] = desc
    return d

num_pos = dict(exclusiveMinimum=0)
frac = dict(minimum=0, maximum=1)

def task_branch(kind, desc, props):
    allp = {"kind": P("string", f"Task kind: `{kind}`.", const=kind)}
    allp.update(props)
    return obj(desc, allp, required=["kind"])

tasks = [
    task_branch("modular", "Modular arithmetic: predict (a ∘ b) mod p from the two operands — the classic grokking task.", {
        "op": P("string", "Operation ∘: `add`, `sub`, `mul` or `div` (division by b ≠ 0 via the modular inverse).", enum=["add", "sub", "mul", "div"], default="add"),
        "p": P("integer", "Prime modulus p. Inputs are a, b ∈ {0, …, p−1}; p classes.", source="Power et al. 2022, Grokking: Generalization Beyond Overfitting", minimum=2, default=97),
        "trainFraction": P("number", "Fraction of all operand pairs used for training (seeded split); the rest is the test set. Larger fractions generalize sooner.", source="Power et al. 2022, Grokking: Generalization Beyond Overfitting", exclusiveMinimum=0, exclusiveMaximum=1, default=0.5),
        "input": P("string", "`onehot`: concatenated one-hot of a and b (2p inputs). `embedding`: a learned embedding of size `embeddingDim` per operand, concatenated.", enum=["onehot", "embedding"], default="onehot"),
        "embeddingDim": P("integer", "Embedding size per operand when `input` is `embedding`.", minimum=1, default=32),
        "labelNoise": P("number", "Fraction of training labels replaced by uniformly random classes (fixed for the seed). `1` = fully random labels (memorization studies).", source="Zhang et al. 2017, Understanding deep learning requires rethinking generalization", default=0, **frac),
    }),
    task_branch("polynomial", "Polynomial regression y = Σ cₖ·xᵏ with Gaussian noise on the training targets.", {
        "coefficients": P("array", "Coefficients c₀, c₁, … of the polynomial.", items={"type": "number"}, minItems=1, default=[0, 1, 0, -1]),
        "nTrain": P("integer", "Number of training samples.", minimum=1, default=64),
        "nTest": P("integer", "Number of test samples.", minimum=1, default=512),
        "noise": P("number", "Standard deviation of the noise added to training targets.", minimum=0, default=0.1),
        "xRange": P("array", "Inputs are drawn uniformly from [lo, hi].", items={"type": "number"}, minItems=2, maxItems=2, default=[-1, 1]),
    }),
    task_branch("sine", "Sine regression y = A·sin(2π f x) with Gaussian noise on the training targets.", {
        "frequency": P("number", "Frequency f.", default=1, **num_pos),
        "amplitude": P("number", "Amplitude A.", default=1),
        "nTrain": P("integer", "Number of training samples.", minimum=1, default=64),
        "nTest": P("integer", "Number of test samples.", minimum=1, default=512),
        "noise": P("number", "Standard deviation of the noise added to training targets.", minimum=0, default=0.1),
        "xRange": P("array", "Inputs are drawn uniformly from [lo, hi].", items={"type": "number"}, minItems=2, maxItems=2, default=[-1, 1]),
    }),
    task_branch("teacher", "A fixed random ReLU teacher network labels Gaussian inputs: random-feature regression or classification (double descent, memorization).", {
        "mode": P("string", "`regression` (the teacher's output) or `classification` (argmax of its outputs).", enum=["regression", "classification"], default="regression"),
        "inputDim": P("integer", "Input dimension d.", minimum=1, default=16),
        "teacherWidth": P("integer", "Hidden width of the teacher.", minimum=1, default=32),
        "classes": P("integer", "Number of classes (classification).", minimum=2, default=10),
        "nTrain": P("integer", "Number of training samples. Test error peaks where nTrain ≈ the number of parameters (double descent).", source="Belkin et al. 2019, Reconciling modern machine learning practice and the bias–variance trade-off; Nakkiran et al. 2020, Deep Double Descent", minimum=1, default=100),
        "nTest": P("integer", "Number of test samples.", minimum=1, default=1000),
        "noise": P("number", "Standard deviation of the noise added to training targets (regression).", minimum=0, default=0),
        "labelNoise": P("number", "Fraction of training labels replaced by random classes (classification).", default=0, **frac),
    }),
]

config_props = {
    "task": {"oneOf": tasks, "description": "The task: `modular`, `polynomial`, `sine` or `teacher` (set `kind`).", "markdownDescription": "The task: `modular`, `polynomial`, `sine` or `teacher` (set `kind`).",
             "defaultSnippets": [{"label": "modular (grokking)", "body": {"kind": "modular", "op": "add", "p": 97, "trainFraction": 0.5}}]},
    "model": obj("The network: an MLP.", {
        "hidden": P("array", "Hidden layer widths, e.g. `[128]` for one hidden layer (a 2-layer MLP).", items={"type": "integer", "minimum": 1}, default=[128]),
        "activation": P("string", "Hidden activation. `quadratic` (x²) is the activation of the solvable grokking MLP.", source="Gromov 2023, Grokking modular arithmetic", enum=["relu", "gelu", "tanh", "quadratic"], default="relu"),
        "init": P("string", "Weight initialisation: `glorot-uniform` U(±√(6/(fan_in+fan_out))) or `he-normal` N(0, 2/fan_in); biases start at 0.", enum=["glorot-uniform", "he-normal"], default="glorot-uniform"),
        "initScale": P("number", "Multiplier on the initial weights (large values push toward the lazy regime; large init delays grokking).", source="Chizat et al. 2019, On Lazy Training; Liu et al. 2023, Omnigrok", default=1, **num_pos),
        "bias": P("boolean", "Use biases.", default=True),
        "freeze": P("array", "Dense layers (0-based) kept fixed at initialisation; `[0]` gives a random-features model.", source="Rahimi & Recht 2007, Random Features for Large-Scale Kernel Machines", items={"type": "integer", "minimum": 0}, default=[]),
    }),
    "optimizer": obj("The optimizer and learning-rate schedule.", {
        "name": P("string", "`sgd`, `momentum`, `adam` or `adamw`. AdamW decays weights decoupled (w ← w·(1 − lr·wd), then the Adam step); the others add wd·w to the gradient (PyTorch `weight_decay`).", enum=["sgd", "momentum", "adam", "adamw"], default="adamw"),
        "lr": P("number", "Learning rate: the step size of every update.", default=0.001, **num_pos),
        "weightDecay": P("number", "Weight decay coefficient: pulls weights toward 0 each step. With `adamw` it is decoupled from the gradient; it is what makes the grokking runs generalize.", source="Loshchilov & Hutter 2019, Decoupled Weight Decay Regularization; Power et al. 2022", minimum=0, default=0),
        "momentum": P("number", "Momentum μ: each step adds μ times the previous one (heavy ball).", source="Polyak 1964; Sutskever et al. 2013, On the importance of initialization and momentum", optimizers=["momentum"], minimum=0, exclusiveMaximum=1, default=0.9),
        "nesterov": P("boolean", "Nesterov momentum: the gradient is taken at the look-ahead point.", source="Nesterov 1983; Sutskever et al. 2013", optimizers=["momentum"], default=False),
        "beta1": P("number", "Adam β₁: decay rate of the running mean of gradients.", source="Kingma & Ba 2015, Adam: A Method for Stochastic Optimization", optimizers=["adam", "adamw"], minimum=0, exclusiveMaximum=1, default=0.9),
        "beta2": P("number", "Adam β₂: decay rate of the running mean of squared gradients (0.98 is common in grokking work).", source="Kingma & Ba 2015; Power et al. 2022", optimizers=["adam", "adamw"], minimum=0, exclusiveMaximum=1, default=0.98),
        "eps": P("number", "Adam ε: added to the root of the second moment to avoid division by zero.", source="Kingma & Ba 2015, Adam: A Method for Stochastic Optimization", optimizers=["adam", "adamw"], default=1e-8, **num_pos),
        "schedule": obj("Learning-rate schedule.", {
            "type": P("string", "`constant` or `cosine` (decays to `minLrFraction`·lr).", source="Loshchilov & Hutter 2017, SGDR: Stochastic Gradient Descent with Warm Restarts", enum=["constant", "cosine"], default="constant"),
            "warmupEpochs": P("number", "Linear warmup length in epochs.", minimum=0, default=0),
            "minLrFraction": P("number", "Final learning rate of the cosine schedule, as a fraction of lr.", default=0, **frac),
        }),
    }),
    "training": obj("Training length, batching and seed.", {
        "epochs": P("integer", "Number of epochs.", minimum=1, default=1000),
        "batchSize": {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "string", "const": "full"}], "default": "full",
                      "description": "Mini-batch size, or \"full\" for full-batch training (one step per epoch).", "markdownDescription": "Mini-batch size, or `\"full\"` for full-batch training (one step per epoch)."},
        "seed": P("integer", "Seed for data split, label noise, initialisation and batch order.", minimum=0, default=0),
        "loss": P("string", "`auto`: cross-entropy for classification, mean squared error for regression.", enum=["auto", "cross-entropy", "mse"], default="auto"),
    }),
    "probes": obj("What to measure, and how often.", {
        "every": P("integer", "Loss, accuracy, gradient norms, weight norms and update ratios every N epochs.", minimum=1, default=1),
        "activationsEvery": P("integer", "Dead neurons, sparsity and activation entropy every N epochs (0 = off).", minimum=0, default=50),
        "spectrumEvery": P("integer", "Weight eigenvalue spectra (Marchenko–Pastur fit, power-law α) every N epochs (0 = off).", source="Marchenko & Pastur 1967; Martin & Mahoney 2021, Implicit Self-Regularization in Deep Neural Networks", minimum=0, default=100),
        "benfordEvery": P("integer", "Benford first-digit distribution every N epochs (0 = off).", source="Benford 1938, The Law of Anomalous Numbers", minimum=0, default=100),
        "histogramBins": P("integer", "Bins of the eigenvalue histograms (at most 1000: finer bins than a chart has pixels show nothing).", minimum=2, maximum=1000, default=40),
        "memorizationThreshold": P("number", "Memorization epoch: first epoch with train accuracy ≥ this.", default=0.99, **frac),
        "generalizationThreshold": P("number", "Generalization epoch: first epoch with test accuracy ≥ this.", default=0.9, **frac),
        "regressionLossThreshold": P("number", "Regression: generalization = test loss below this.", default=0.01, **num_pos),
        "changePoint": obj("Phase-transition detector on each layer's log₁₀ gradient norm (PELT, piecewise-linear segments; Killick et al. 2012).", {
            "method": P("string", "Detection method.", enum=["pelt"], default="pelt"),
            "penalty": P("number", "Penalty multiplier per extra segment (higher = fewer transitions).", source="Killick et al. 2012, Optimal Detection of Changepoints With a Linear Computational Cost", default=2, **num_pos),
            "minSegment": P("integer", "Minimum segment length, in probe points.", minimum=2, default=10),
            "confirm": P("integer", "Points that must follow a change before it is reported.", minimum=1, default=20),
            "noiseFloor": P("number", "Noise floor of the log₁₀ series, in decades.", default=0.03, **num_pos),
            "flatSlope": P("number", "Slope (decades per 1000 epochs) at or below which a segment counts as flat.", default=0.1, **num_pos),
            "levelRatio": P("number", "A fall slowing to at most this fraction of its rate counts as levelling off.", exclusiveMinimum=0, exclusiveMaximum=1, default=0.5),
        }),
    }),
    "checkpoints": obj("Checkpoints (safetensors) written into the run folder.", {
        "every": P("integer", "Write a checkpoint every N epochs (0 = only at the end).", minimum=0, default=500),
        "atEnd": P("boolean", "Write a checkpoint when the run ends.", default=True),
    }),
}

partial = obj("A (partial) training configuration; missing fields come from `defaults` and the built-in defaults.", config_props)
config_entry = obj("One training configuration.", dict({"name": P("string", "Config name (unique in the file; used for run folders).", pattern="^[A-Za-z0-9._-]+$")}, **config_props), required=["name"],
                   defaultSnippets=[{"label": "new config", "body": {"name": "${1:name}", "optimizer": {"name": "adamw", "lr": 0.001, "weightDecay": 1}}}])

schema = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "$id": "https://training-dynamics.dev/schema/experiment.json",
    "title": "Training Dynamics experiment",
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "configs"],
    "properties": {
        "$schema": {"type": "string", "description": "JSON Schema reference (ignored)."},
        "name": P("string", "Experiment name (the runs folder is named after it).", pattern="^[A-Za-z0-9._-]+$"),
        "description": P("string", "What this experiment studies."),
        "defaults": partial,
        "configs": P("array", "The training configurations. Each gets a ▶ Train lens in the editor.", items=config_entry, minItems=1),
        "sweep": obj("A grid sweep: every combination of the values in `grid`, applied to each config in `configs`.", {
            "configs": P("array", "Configs to sweep (default: all).", items={"type": "string"}),
            "grid": P("object", "Dotted path → list of values, e.g. `\"optimizer.lr\": [1e-3, 3e-3]`.", additionalProperties={"type": "array", "minItems": 1}),
        }, required=["grid"]),
        "study": obj("What this experiment's study shows first: the Study panel's and `training-dynamics study`'s default metric, axes and split (every choice can be changed there).", {
            "metric": P("string", "The metric shown first, a name from the README's metric table: `finalTestLoss`, `generalizationEpoch`, `sparsity.layer0@500`, `transition.layer0.peak.lead`, …", default="finalTestLoss"),
            "by": P("array", "One axis (a curve over it) or two (a heatmap, x then y): `sweep.grid` keys, or `config` to put the configs on an axis. `training.seed` is never an axis: seeds are averaged.", items={"type": "string"}, minItems=1, maxItems=2),
            "split": P("string", "An axis to split by: one curve or heatmap per value (e.g. `config` for one curve per optimizer)."),
            "predict": obj("The prediction analysis: does an early `feature` predict the `outcome`? Spearman ρ over the runs with a bootstrap 95 % interval.", {
                "feature": P("string", "The early feature, e.g. `sparsity.layer0@500` (a value at epoch k) or `transition.layer0.any.detectedAt` (an event epoch)."),
                "outcome": P("string", "The outcome, e.g. `generalizationEpoch` or `finalTestAcc`."),
            }, required=["feature", "outcome"]),
            "logX": P("boolean", "Log-scaled x axis (widths, learning rates).", default=False),
            "logY": P("boolean", "Log-scaled y axis (losses).", default=False),
            "marks": P("array", "Reference lines on the curve, each drawn while its axis is the curve's x axis: e.g. the interpolation threshold `{\"axis\": \"model.hidden\", \"value\": 100, \"label\": \"width = nTrain\"}`.", items=obj("A labelled vertical line at `value` of `axis`.", {
                "axis": P("string", "The axis (a `sweep.grid` key) the line belongs to."),
                "value": P("number", "Where on that axis the line stands (a width of `[100]` is the value 100)."),
                "label": P("string", "The line's label."),
            }, required=["axis", "value", "label"])),
        }),
    },
}
out = os.path.join(os.path.dirname(__file__), "..", "extension", "engine", "config", "schema.json")
with open(out, "w") as f:
    json.dump(schema, f, indent=2, ensure_ascii=False)
    f.write("\n")
print("wrote", os.path.normpath(out))
