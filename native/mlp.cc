/*
 * The engine's fast path: one training step of the MLP (forward, loss, backward, optimizer update), the
 * per-epoch evaluation and the per-epoch weight statistics, fused in C++ and exposed to Node through Node-API
 * (C interface, ABI-stable: one build serves every Node version). Built at install by scripts/build-native.mjs;
 * the engine falls back to the tfjs path whenever this file did not build (extension/engine/fast/native.ts).
 *
 * Why hand-written: the model is small (one-hot first layer, a few hundred hidden units, 97 classes), so
 * the cost of an epoch on tfjs is op dispatch, copies between heaps and scalar kernels, not arithmetic. Here
 * every op is one pass over memory, the one-hot first layer is a row gather (its gradient a scatter-add)
 * and the three matrix products per step run in one blocked GEMM with a 6×16 AVX2/FMA micro-kernel (plain
 * C++ loops where AVX2 is missing). No BLAS: Debian's BLAS packages would become an install requirement.
 *
 * Beside the model, the checkpoint inspector's per-element loops (inspectStats, inspectHistogram, countCodes):
 * a tensor's statistics and histogram streamed chunk by chunk, the same definitions as engine/probes/stats.ts.
 *
 * The test evaluation can run on a libuv worker thread (evaluateAsync): it takes a copy of the weights and has
 * its own scratch buffers, so the next training step runs beside it on the other core.
 *
 * Maths, layouts and parameter names are those of extension/engine/model/mlp.ts and optim/optimizers.ts:
 * kernel [in, out] row-major, bias [out], embedding [p, d]; losses and optimizer formulas as documented
 * there. The fast-path equality tests (test/unit/fastPath.test.ts) compare both paths step by step.
 */
#include <node_api.h>

#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define TD_AVX2 1
#else
#define TD_AVX2 0
#endif

namespace {

// ------------------------------------------------------------------------------------------ profile
// Where a step's CPU time goes, per phase (thread CPU time, so other processes on the core do not count).
// Off unless asked for (profile(model, true)): a clock read costs a fraction of a microsecond.

enum Phase { P_FIRST = 0, P_FWD_GEMM, P_LOSS, P_BWD_GEMM, P_FIRST_BWD, P_OPTIMIZER, P_GRAD_NORMS, P_EVAL, P_WEIGHT_STATS, P_COUNT };
const char* const PHASE_NAMES[P_COUNT] = {"first layer (gather, relu)", "forward GEMMs", "loss (softmax, argmax, ∂out)",
                                          "backward GEMMs", "first layer backward (mask, scatter-add)", "optimizer",
                                          "gradient norms", "test evaluation", "weight norms, update ratios"};

double threadCpuMs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

struct Prof {
  bool on = false;
  double ms[P_COUNT] = {};
  double t = 0;
  void start() {
    if (on) t = threadCpuMs();
  }
  /** Charges the time since the last start/lap to `phase`. */
  void lap(int phase) {
    if (!on) return;
    const double now = threadCpuMs();
    ms[phase] += now - t;
    t = now;
  }
};

// ---------------------------------------------------------------------------------------------- GEMM
// C[M×N] (row stride ldc) = (accumulate ? C : 0) + op(A)·op(B), with element (i,k) of op(A) at
// A[i·rsA + k·csA] and (k,j) of op(B) at B[k·rsB + j·csB]: the strides express the transposes.
// B is packed into 16-wide column strips per K block; A is read in place when its rows are contiguous
// (csA = 1: six row streams) and packed 6 rows interleaved otherwise (a transposed A would waste most
// of every cache line it touches).

constexpr int MR = 6, NR = 16, KC = 256, MC = 120, NC = 2048;

/**
 * Packs kc source rows (row k at src + k·rowStride) of n values each into W-wide panels: panel g's row k at
 * dst[(g·kc + k)·W], the last panel padded with zeros. Row by row, each row k feeding W values to every panel:
 * a column walk would stride by a power of two (the layer width) and thrash a few cache sets.
 */
template <int W>
inline void packRows(int kc, int n, const float* src0, long rowStride, float* dst) {
  const int panels = (n + W - 1) / W;
  for (int k = 0; k < kc; k++) {
    const float* src = src0 + k * rowStride;
    for (int g = 0; g < panels; g++) {
      float* d = dst + ((size_t)g * kc + k) * W;
      const int w = std::min(W, n - g * W);
      if (w == W) {
        std::memcpy(d, src + g * W, W * sizeof(float));
      } else {
        for (int c = 0; c < w; c++) d[c] = src[g * W + c];
        for (int c = w; c < W; c++) d[c] = 0.f;
      }
    }
  }
}

void packA(int mc, int kc, const float* A, long rsA, long csA, float* dst) {
  if (rsA == 1) {
    // A transposed (its rows are the source's columns): MR values of each source row to every row group.
    packRows<MR>(kc, mc, A, csA, dst);
    return;
  }
  for (int i0 = 0; i0 < mc; i0 += MR) {
    const int mr = std::min(MR, mc - i0);
    for (int k = 0; k < kc; k++) {
      for (int r = 0; r < mr; r++) dst[r] = A[(i0 + r) * rsA + k * csA];
      for (int r = mr; r < MR; r++) dst[r] = 0.f;
      dst += MR;
    }
  }
}

void packB(int kc, int nc, const float* B, long rsB, long csB, float* dst) {
  if (csB == 1) {
    // B's rows contiguous: NR values of each row to every strip.
    packRows<NR>(kc, nc, B, rsB, dst);
    return;
  }
  const int strips = (nc + NR - 1) / NR;
  for (int s = 0; s < strips; s++) {
    const int j0 = s * NR;
    const int nr = std::min(NR, nc - j0);
    for (int k = 0; k < kc; k++) {
      const float* src = B + k * rsB + j0 * csB;
      for (int c = 0; c < nr; c++) dst[c] = src[c * csB];
      for (int c = nr; c < NR; c++) dst[c] = 0.f;
      dst += NR;
    }
  }
}

/** The micro-kernels' MR rows of A: row r at a + r·ars; rows r ≥ mr read row 0 again (their results are dropped). */
struct RowsOfA {
  const float* r[MR];
  RowsOfA(const float* a, long ars, int mr) {
    for (int i = 0; i < MR; i++) r[i] = a + (mr > i ? i * ars : 0);
  }
};

/**
 * acc(6×16) = Σ_k A(r, k)·b[k]ᵀ with A(r, k) at a[r·ars + k·aks]; then C[:mr, :nr] (+)= acc. Rows r ≥ mr read
 * row 0 again (their results are dropped), so a partial block never reads past A.
 */
inline void microKernel(int kc, const float* a, long ars, long aks, const float* b, float* C, long ldc, int mr, int nr, bool add) {
  alignas(32) float tile[MR * NR];
  const RowsOfA A(a, ars, mr);
  const float *a0 = A.r[0], *a1 = A.r[1], *a2 = A.r[2], *a3 = A.r[3], *a4 = A.r[4], *a5 = A.r[5];
#if TD_AVX2
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
         c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  long o = 0;
  for (int k = 0; k < kc; k++, o += aks) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    __m256 av = _mm256_broadcast_ss(a0 + o);
    c00 = _mm256_fmadd_ps(av, b0, c00), c01 = _mm256_fmadd_ps(av, b1, c01);
    av = _mm256_broadcast_ss(a1 + o);
    c10 = _mm256_fmadd_ps(av, b0, c10), c11 = _mm256_fmadd_ps(av, b1, c11);
    av = _mm256_broadcast_ss(a2 + o);
    c20 = _mm256_fmadd_ps(av, b0, c20), c21 = _mm256_fmadd_ps(av, b1, c21);
    av = _mm256_broadcast_ss(a3 + o);
    c30 = _mm256_fmadd_ps(av, b0, c30), c31 = _mm256_fmadd_ps(av, b1, c31);
    av = _mm256_broadcast_ss(a4 + o);
    c40 = _mm256_fmadd_ps(av, b0, c40), c41 = _mm256_fmadd_ps(av, b1, c41);
    av = _mm256_broadcast_ss(a5 + o);
    c50 = _mm256_fmadd_ps(av, b0, c50), c51 = _mm256_fmadd_ps(av, b1, c51);
    b += NR;
  }
  if (mr == MR && nr == NR) {
    __m256 cs[12] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
    for (int r = 0; r < MR; r++) {
      float* row = C + r * ldc;
      if (add) {
        _mm256_storeu_ps(row, _mm256_add_ps(_mm256_loadu_ps(row), cs[2 * r]));
        _mm256_storeu_ps(row + 8, _mm256_add_ps(_mm256_loadu_ps(row + 8), cs[2 * r + 1]));
      } else {
        _mm256_storeu_ps(row, cs[2 * r]);
        _mm256_storeu_ps(row + 8, cs[2 * r + 1]);
      }
    }
    return;
  }
  _mm256_store_ps(tile + 0, c00), _mm256_store_ps(tile + 8, c01), _mm256_store_ps(tile + 16, c10);
  _mm256_store_ps(tile + 24, c11), _mm256_store_ps(tile + 32, c20), _mm256_store_ps(tile + 40, c21);
  _mm256_store_ps(tile + 48, c30), _mm256_store_ps(tile + 56, c31), _mm256_store_ps(tile + 64, c40);
  _mm256_store_ps(tile + 72, c41), _mm256_store_ps(tile + 80, c50), _mm256_store_ps(tile + 88, c51);
#else
  std::fill(tile, tile + MR * NR, 0.f);
  long o = 0;
  for (int k = 0; k < kc; k++, o += aks) {
    for (int r = 0; r < MR; r++) {
      const float av = A.r[r][o];
      for (int c = 0; c < NR; c++) tile[r * NR + c] += av * b[c];
    }
    b += NR;
  }
#endif
  for (int r = 0; r < mr; r++) {
    float* row = C + r * ldc;
    if (add) {
      for (int c = 0; c < nr; c++) row[c] += tile[r * NR + c];
    } else {
      for (int c = 0; c < nr; c++) row[c] = tile[r * NR + c];
    }
  }
}

#if TD_AVX2
/** The same for a strip at most 8 columns wide (the last of N = 97): half the multiply-adds of microKernel. */
inline void microKernel8(int kc, const float* a, long ars, long aks, const float* b, float* C, long ldc, int mr, int nr, bool add) {
  const RowsOfA A(a, ars, mr);
  const float *a0 = A.r[0], *a1 = A.r[1], *a2 = A.r[2], *a3 = A.r[3], *a4 = A.r[4], *a5 = A.r[5];
  __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
  long o = 0;
  for (int k = 0; k < kc; k++, o += aks) {
    const __m256 b0 = _mm256_loadu_ps(b);
    c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a0 + o), b0, c0);
    c1 = _mm256_fmadd_ps(_mm256_broadcast_ss(a1 + o), b0, c1);
    c2 = _mm256_fmadd_ps(_mm256_broadcast_ss(a2 + o), b0, c2);
    c3 = _mm256_fmadd_ps(_mm256_broadcast_ss(a3 + o), b0, c3);
    c4 = _mm256_fmadd_ps(_mm256_broadcast_ss(a4 + o), b0, c4);
    c5 = _mm256_fmadd_ps(_mm256_broadcast_ss(a5 + o), b0, c5);
    b += NR;
  }
  alignas(32) float tile[MR * 8];
  _mm256_store_ps(tile + 0, c0), _mm256_store_ps(tile + 8, c1), _mm256_store_ps(tile + 16, c2);
  _mm256_store_ps(tile + 24, c3), _mm256_store_ps(tile + 32, c4), _mm256_store_ps(tile + 40, c5);
  for (int r = 0; r < mr; r++) {
    float* row = C + r * ldc;
    if (add) {
      for (int c = 0; c < nr; c++) row[c] += tile[r * 8 + c];
    } else {
      for (int c = 0; c < nr; c++) row[c] = tile[r * 8 + c];
    }
  }
}
#endif

/** One MR × NR block of C (nr ≤ NR columns of it), by the narrow kernel when it is at most 8 wide. */
inline void block(int kc, const float* a, long ars, long aks, const float* b, float* C, long ldc, int mr, int nr, bool add) {
#if TD_AVX2
  if (nr <= 8) return microKernel8(kc, a, ars, aks, b, C, ldc, mr, nr, add);
#endif
  microKernel(kc, a, ars, aks, b, C, ldc, mr, nr, add);
}

void sgemm(int M, int N, int K, const float* A, long rsA, long csA, const float* B, long rsB, long csB, float* C, long ldc,
           bool accumulate) {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    if (!accumulate)
      for (int i = 0; i < M; i++) std::fill(C + i * ldc, C + i * ldc + N, 0.f);
    return;
  }
  // Per thread: the training step and an evaluation on a worker thread each have their own.
  thread_local std::vector<float> pa, pb;
  const bool direct = csA == 1;
  if (!direct) pa.resize((size_t)(MC + MR) * KC);
  pb.resize((size_t)(std::min(N, NC) + NR) * KC);
  for (int jc = 0; jc < N; jc += NC) {
    const int nc = std::min(NC, N - jc);
    for (int pc = 0; pc < K; pc += KC) {
      const int kc = std::min(KC, K - pc);
      const bool add = accumulate || pc > 0;
      packB(kc, nc, B + pc * rsB + jc * csB, rsB, csB, pb.data());
      for (int ic = 0; ic < M; ic += MC) {
        const int mc = std::min(MC, M - ic);
        if (!direct) packA(mc, kc, A + ic * rsA + pc * csA, rsA, csA, pa.data());
        for (int jr = 0; jr < nc; jr += NR) {
          const float* bp = pb.data() + (size_t)(jr / NR) * kc * NR;
          for (int ir = 0; ir < mc; ir += MR) {
            float* c = C + (ic + ir) * ldc + jc + jr;
            const int mr = std::min(MR, mc - ir), nr = std::min(NR, nc - jr);
            if (direct) {
              block(kc, A + (ic + ir) * rsA + pc, rsA, 1, bp, c, ldc, mr, nr, add);
            } else {
              block(kc, pa.data() + (size_t)(ir / MR) * kc * MR, 1, MR, bp, c, ldc, mr, nr, add);
            }
          }
        }
      }
    }
  }
}

// ------------------------------------------------------------------------------------------ row kernels

/** Σ (a[i] − b[i])² in float64 (four float64 lanes × 2 with AVX2); Σ a[i]² without DIFF (b unread). */
template <bool DIFF>
double sumSquaresOf(const float* a, const float* b, size_t n) {
  size_t i = 0;
  double s = 0;
#if TD_AVX2
  __m256d s0 = _mm256_setzero_pd(), s1 = s0;
  for (; i + 8 <= n; i += 8) {
    __m256d x0 = _mm256_cvtps_pd(_mm_loadu_ps(a + i)), x1 = _mm256_cvtps_pd(_mm_loadu_ps(a + i + 4));
    if constexpr (DIFF) {
      x0 = _mm256_sub_pd(x0, _mm256_cvtps_pd(_mm_loadu_ps(b + i)));
      x1 = _mm256_sub_pd(x1, _mm256_cvtps_pd(_mm_loadu_ps(b + i + 4)));
    }
    s0 = _mm256_fmadd_pd(x0, x0, s0);
    s1 = _mm256_fmadd_pd(x1, x1, s1);
  }
  alignas(32) double t[4];
  _mm256_store_pd(t, _mm256_add_pd(s0, s1));
  s = (t[0] + t[1]) + (t[2] + t[3]);
#endif
  for (; i < n; i++) {
    double d = a[i];
    if constexpr (DIFF) d -= (double)b[i];
    s += d * d;
  }
  return s;
}

/** Σ a[i]² in float64. */
double sumSquares(const float* a, size_t n) { return sumSquaresOf<false>(a, nullptr, n); }

double l2(const float* a, size_t n) { return std::sqrt(sumSquares(a, n)); }

/** Σ (a[i] − b[i])² in float64. */
double sumSquaredDiff(const float* a, const float* b, size_t n) { return sumSquaresOf<true>(a, b, n); }

/** max(0, z), keeping NaN (written as SSE's max so that loops of it vectorise without branches). */
inline float relu(float z) { return 0.f > z ? 0.f : z; }

/** relu′(z)·g from h = relu(z) (h > 0 exactly when z > 0): g·1 or g·0 (NaN stays NaN), without a branch. */
inline float reluGrad(float h, float g) { return g * (float)(h > 0.f); }

/** z = relu(ra + rb (+ b)): the one-hot first layer's row, gathered and activated in one pass. */
inline void gatherRelu(const float* __restrict ra, const float* __restrict rb, const float* __restrict b, float* __restrict z, int w, bool act) {
  if (b) {
    for (int j = 0; j < w; j++) z[j] = ra[j] + rb[j] + b[j];
  } else {
    for (int j = 0; j < w; j++) z[j] = ra[j] + rb[j];
  }
  if (act)
    for (int j = 0; j < w; j++) z[j] = relu(z[j]);
}

/** v = relu′(h)·g (h = relu(z), so h > 0 exactly when z > 0); ra += v, rb += v, acc += v. */
inline void reluScatter(const float* __restrict g, const float* __restrict h, float* __restrict v, float* __restrict ra, float* __restrict rb,
                        float* __restrict acc, int d) {
  for (int j = 0; j < d; j++) v[j] = reluGrad(h[j], g[j]);
  if (ra)
    for (int j = 0; j < d; j++) ra[j] += v[j];
  if (rb)
    for (int j = 0; j < d; j++) rb[j] += v[j];
  if (acc)
    for (int j = 0; j < d; j++) acc[j] += v[j];
}

inline void addRow(float* __restrict dst, const float* __restrict src, int w) {
  for (int j = 0; j < w; j++) dst[j] += src[j];
}

// ------------------------------------------------------------------------------------------ the model

enum Act { RELU = 0, TANH = 1, QUADRATIC = 2, GELU = 3 };
enum First { DENSE = 0, ONEHOT = 1, EMBEDDING = 2 };
enum Loss { CROSS_ENTROPY = 0, MSE = 1 };
enum Opt { SGD = 0, MOMENTUM = 1, ADAM = 2, ADAMW = 3 };

/** One parameter tensor: values, optimizer slots (JS-owned memory) and the gradient (ours). */
struct Param {
  float* w = nullptr;
  float* m = nullptr;
  float* v = nullptr;
  size_t size = 0;
  bool trainable = false;
  std::vector<float> g;
};

struct Split {
  int n = 0;
  const float* x = nullptr;        // dense input, n × in
  const int32_t* ia = nullptr;     // gather rows (one-hot: a; embedding: a)
  const int32_t* ib = nullptr;     // gather rows (one-hot: p + b; embedding: b)
  const int32_t* labels = nullptr; // classification labels (argmax accuracy)
  const float* y = nullptr;        // targets n × out (one-hot for classification)
};

/** The weights a forward pass reads: the live parameters, or an evaluation's copy of them. */
struct Weights {
  const float* emb = nullptr;
  std::vector<const float*> kernel, bias;  // bias[k] == nullptr when bias is off
};

/**
 * A forward pass's buffers, sized for the largest row count seen: layer 0's input rows, pre-activations Z and
 * outputs H per layer, ∂loss/∂out, the gathered indices and label/target rows. The training step and the
 * evaluation thread each have their own.
 */
struct Scratch {
  std::vector<float> x0;
  const float* in0 = nullptr;  // layer 0's input rows of the last forward pass
  std::vector<std::vector<float>> Z, H;
  std::vector<float> dA, dB, row, gT;
  std::vector<int32_t> ia, ib, labels;
  std::vector<float> y;
};

struct Metrics {
  double loss = 0;  // mean over the rows
  double correct = 0;
  double sse = 0;
};

struct Model;

/** The test evaluation on a worker thread: a copy of the weights, its own scratch, its promise. */
struct EvalJob {
  Model* M = nullptr;
  int slot = 1;
  std::vector<float> copy;
  Weights W;
  Scratch S;
  Metrics result;
  double cpuMs = 0;
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  napi_ref keep = nullptr;  // the model's handle, alive while the job runs
  bool busy = false;
};

struct Model {
  int first = DENSE, act = RELU, loss = CROSS_ENTROPY, opt = ADAMW;
  float wd = 0, momentum = 0, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  bool nesterov = false;
  long t = 0;
  std::vector<int> widths;  // [in, h1, ..., out]
  int embRows = 0, embDim = 0;
  Param emb;
  std::vector<Param> kernel, bias;  // bias[k].w == nullptr when bias is off
  bool hasBias = false;
  Split splits[2];
  std::vector<napi_ref> refs;
  Weights live;     // the parameters' own buffers
  Scratch scratch;  // the training step's (and inline evaluation's) buffers
  // Evaluation jobs: normally one, reused epoch after epoch; another only while one is still running.
  std::vector<EvalJob*> jobs;
  int running = 0;
  std::vector<float> before;  // the weights at markWeights(), for the update ratios
  Prof prof;
  bool releasePending = false;

  int layers() const { return (int)widths.size() - 1; }
  /** Every parameter in Mlp.params order (embedding, then kernel/bias per layer). */
  template <typename F>
  void eachParam(F f) {
    if (first == EMBEDDING) f(emb);
    for (int k = 0; k < layers(); k++) {
      f(kernel[k]);
      if (hasBias) f(bias[k]);
    }
  }
  /** How many floats the parameters hold together. */
  size_t paramFloats() {
    size_t total = 0;
    eachParam([&](Param& P) { total += P.size; });
    return total;
  }
};

inline float actF(int act, float z) {
  switch (act) {
    case RELU: return relu(z);
    case TANH: return std::tanh(z);
    case QUADRATIC: return z * z;
    default: {
      const float c = (float)std::sqrt(2.0 / M_PI);
      const float inner = (z + z * z * z * 0.044715f) * c;
      return z * 0.5f * (std::tanh(inner) + 1.f);
    }
  }
}

/** d act / dz, from the pre-activation z (and the activation h). */
inline float actD(int act, float z, float h) {
  switch (act) {
    case RELU: return z > 0.f ? 1.f : 0.f;
    case TANH: return 1.f - h * h;
    case QUADRATIC: return 2.f * z;
    default: {
      const float c = (float)std::sqrt(2.0 / M_PI);
      const float th = std::tanh((z + z * z * z * 0.044715f) * c);
      return 0.5f * (1.f + th) + 0.5f * z * (1.f - th * th) * c * (1.f + 3.f * 0.044715f * z * z);
    }
  }
}

/** exp(x) for x ≤ 0 (Cody–Waite reduction, Cephes' degree-6 polynomial; relative error ≈ 1e-7). */
inline float expNonPositive(float x) {
  x = x < -87.f ? -87.f : x;
  const float fx = std::floor(x * 1.44269504088896341f + 0.5f);
  float r = x - fx * 0.693359375f;
  r = r - fx * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.f;
  int32_t bits = ((int32_t)fx + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, 4);
  return p * scale;
}

/** e[j] = exp(o[j] − mx) for j < c, and returns Σ e[j]: eight at a time with AVX2 (same polynomial as expNonPositive). */
inline double expRow(const float* o, float mx, float* e, int c) {
  int j = 0;
  double sum = 0;
#if TD_AVX2
  const __m256 vmx = _mm256_set1_ps(mx), lo = _mm256_set1_ps(-87.f), log2e = _mm256_set1_ps(1.44269504088896341f),
               half = _mm256_set1_ps(0.5f), c1 = _mm256_set1_ps(0.693359375f), c2 = _mm256_set1_ps(-2.12194440e-4f),
               p0 = _mm256_set1_ps(1.9875691500e-4f), p1 = _mm256_set1_ps(1.3981999507e-3f), p2 = _mm256_set1_ps(8.3334519073e-3f),
               p3 = _mm256_set1_ps(4.1665795894e-2f), p4 = _mm256_set1_ps(1.6666665459e-1f), p5 = _mm256_set1_ps(5.0000001201e-1f),
               one = _mm256_set1_ps(1.f);
  __m256 acc = _mm256_setzero_ps();
  for (; j + 8 <= c; j += 8) {
    __m256 x = _mm256_max_ps(_mm256_sub_ps(_mm256_loadu_ps(o + j), vmx), lo);
    const __m256 fx = _mm256_floor_ps(_mm256_fmadd_ps(x, log2e, half));
    __m256 r = _mm256_sub_ps(x, _mm256_mul_ps(fx, c1));
    r = _mm256_sub_ps(r, _mm256_mul_ps(fx, c2));
    __m256 p = _mm256_fmadd_ps(p0, r, p1);
    p = _mm256_fmadd_ps(p, r, p2);
    p = _mm256_fmadd_ps(p, r, p3);
    p = _mm256_fmadd_ps(p, r, p4);
    p = _mm256_fmadd_ps(p, r, p5);
    p = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), one);
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(fx), _mm256_set1_epi32(127)), 23);
    const __m256 ev = _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
    _mm256_storeu_ps(e + j, ev);
    acc = _mm256_add_ps(acc, ev);
  }
  alignas(32) float t[8];
  _mm256_store_ps(t, acc);
  for (int q = 0; q < 8; q++) sum += t[q];
#endif
  for (; j < c; j++) {
    e[j] = expNonPositive(o[j] - mx);
    sum += e[j];
  }
  return sum;
}

/**
 * The row's maximum, the first index holding it (argmax) and whether every value is finite. NaN values are
 * never the maximum (as in a scalar `o[j] > mx` scan), but make the row non-finite.
 */
inline void rowMaxArg(const float* o, int c, float* mxOut, int* argOut, bool* finiteOut) {
  int j = 0;
  float mx = o[0];
  float bad = 0.f;  // o − o: 0 for finite values, NaN for ±Inf and NaN
#if TD_AVX2
  if (c >= 8) {
    __m256 vm = _mm256_loadu_ps(o), vb = _mm256_setzero_ps();
    for (; j + 8 <= c; j += 8) {
      const __m256 x = _mm256_loadu_ps(o + j);
      vm = _mm256_max_ps(x, vm);  // NaN in x: keeps vm
      vb = _mm256_add_ps(vb, _mm256_sub_ps(x, x));
    }
    alignas(32) float t[8], u[8];
    _mm256_store_ps(t, vm);
    _mm256_store_ps(u, vb);
    for (int q = 0; q < 8; q++) {
      mx = t[q] > mx ? t[q] : mx;
      bad += u[q];
    }
  }
#endif
  for (; j < c; j++) {
    mx = o[j] > mx ? o[j] : mx;
    bad += o[j] - o[j];
  }
  int arg = 0;
  while (arg < c && !(o[arg] == mx)) arg++;
  *mxOut = mx;
  *argOut = arg < c ? arg : 0;
  *finiteOut = bad == 0.f;
}

/**
 * Forward pass over `n` rows of split `s` (rows[i] indexes the split, or all rows in order when rows is
 * null) with weights W into scratch S. Leaves Z/H per layer; the output layer's values are in Z[L-1]. Returns
 * the loss metrics and, when `grad`, writes ∂loss/∂out into S.dA.
 */
Metrics forward(const Model& M, const Weights& W, Scratch& S, const Split& s, const int32_t* rows, int n, bool grad, Prof* prof) {
  const int L = M.layers();
  S.Z.resize(L);
  S.H.resize(L);
  for (int k = 0; k < L; k++) {
    S.Z[k].resize((size_t)n * M.widths[k + 1]);
    if (k + 1 < L) S.H[k].resize((size_t)n * M.widths[k + 1]);
  }
  const float* in = nullptr;
  int k0 = 0;              // first layer computed by a GEMM (1 after the one-hot gather)
  bool reluDone = false;   // the gather wrote relu(z) straight into H[0]
  if (M.first == DENSE) {
    const int d = M.widths[0];
    if (rows) {
      S.x0.resize((size_t)n * d);
      for (int i = 0; i < n; i++) std::memcpy(&S.x0[(size_t)i * d], s.x + (size_t)rows[i] * d, d * sizeof(float));
      in = S.x0.data();
    } else {
      in = s.x;
    }
  } else {
    S.ia.resize(n);
    S.ib.resize(n);
    for (int i = 0; i < n; i++) {
      const int r = rows ? rows[i] : i;
      S.ia[i] = s.ia[r];
      S.ib[i] = s.ib[r];
    }
    if (M.first == EMBEDDING) {
      const int d = M.embDim;
      S.x0.resize((size_t)n * 2 * d);
      for (int i = 0; i < n; i++) {
        std::memcpy(&S.x0[(size_t)i * 2 * d], W.emb + (size_t)S.ia[i] * d, d * sizeof(float));
        std::memcpy(&S.x0[(size_t)i * 2 * d + d], W.emb + (size_t)S.ib[i] * d, d * sizeof(float));
      }
      in = S.x0.data();
    } else {
      // One-hot input: x·W₀ = W₀[a] + W₀[p + b].
      const int w = M.widths[1];
      const float* K0 = W.kernel[0];
      const float* b = W.bias[0];
      // With relu after it, straight into H[0] (relu′(z) is read from h > 0): one pass instead of two.
      const bool fused = M.act == RELU && L > 1;
      float* z = fused ? S.H[0].data() : S.Z[0].data();
      for (int i = 0; i < n; i++) gatherRelu(K0 + (size_t)S.ia[i] * w, K0 + (size_t)S.ib[i] * w, b, z + (size_t)i * w, w, fused);
      k0 = 1;
      reluDone = fused;
    }
  }
  S.in0 = in;
  if (prof) prof->lap(P_FIRST);
  const float* outBias = nullptr;  // the output layer's bias, added row by row in the loss pass below
  for (int k = 0; k < L; k++) {
    const int w = M.widths[k + 1];
    float* z = S.Z[k].data();
    if (k >= k0) {
      const int d = M.widths[k];
      const float* b = W.bias[k];
      if (b && k == L - 1) {
        outBias = b;
        b = nullptr;
      }
      if (b) {
        // Z = 1·bᵀ + in·W: the bias rows first, the product accumulated onto them.
        for (int i = 0; i < n; i++) std::memcpy(z + (size_t)i * w, b, w * sizeof(float));
      }
      sgemm(n, w, d, in, d, 1, W.kernel[k], w, 1, z, w, b != nullptr);
    }
    if (k + 1 < L && k == 0 && reluDone) {
      in = S.H[0].data();
    } else if (k + 1 < L) {
      float* h = S.H[k].data();
      const size_t cnt = (size_t)n * w;
      if (M.act == RELU) {
        for (size_t i = 0; i < cnt; i++) h[i] = relu(z[i]);
      } else {
        for (size_t i = 0; i < cnt; i++) h[i] = actF(M.act, z[i]);
      }
      in = h;
    }
  }
  if (prof) prof->lap(P_FWD_GEMM);

  // The loss on the output rows.
  Metrics out;
  const int c = M.widths[L];
  const float* o = S.Z[L - 1].data();
  if (grad) S.dA.resize((size_t)n * c);
  float* g = S.dA.data();
  const int32_t* lab = nullptr;
  const float* y = nullptr;
  if (rows) {
    if (s.labels) {
      S.labels.resize(n);
      for (int i = 0; i < n; i++) S.labels[i] = s.labels[rows[i]];
      lab = S.labels.data();
    }
    if (s.y) {
      S.y.resize((size_t)n * c);
      for (int i = 0; i < n; i++) std::memcpy(&S.y[(size_t)i * c], s.y + (size_t)rows[i] * c, c * sizeof(float));
      y = S.y.data();
    }
  } else {
    lab = s.labels;
    y = s.y;
  }
  // The output bias, while each row is in cache anyway (Z = in·W + 1·bᵀ, the same sum as the tfjs path's).
  float* ob = S.Z[L - 1].data();
  auto addBias = [&](int i) {
    if (outBias) addRow(ob + (size_t)i * c, outBias, c);
  };
  if (M.loss == CROSS_ENTROPY) {
    // One pass per row: max, argmax and finiteness; exp(o − max) and its sum; the loss; the gradient
    // softmax/n − onehot/n in place of the exponentials.
    double total = 0;
    long correct = 0;
    bool finite = true;
    S.row.resize(c);
    const double invN = 1.0 / n;
    for (int i = 0; i < n; i++) {
      addBias(i);
      const float* oi = o + (size_t)i * c;
      float mx;
      int arg;
      bool ok;
      rowMaxArg(oi, c, &mx, &arg, &ok);
      finite = finite && ok;
      const int yi = lab[i];
      if (arg == yi) correct++;
      float* ei = grad ? g + (size_t)i * c : S.row.data();
      const double sum = expRow(oi, mx, ei, c);
      total += (double)mx + std::log(sum) - (double)oi[yi];
      if (grad) {
        const float scale = (float)(invN / sum);
        for (int j = 0; j < c; j++) ei[j] *= scale;
        ei[yi] -= (float)invN;
      }
    }
    out.correct = (double)correct;
    out.loss = finite ? total / n : NAN;
  } else {
    for (int i = 0; i < n; i++) addBias(i);
    if (lab) {
      long correct = 0;
      for (int i = 0; i < n; i++) {
        float mx;
        int arg;
        bool ok;
        rowMaxArg(o + (size_t)i * c, c, &mx, &arg, &ok);
        if (arg == lab[i]) correct++;
      }
      out.correct = (double)correct;
    }
    double sse = 0;
    const float two = (float)(2.0 / ((double)n * c));
    for (size_t i = 0; i < (size_t)n * c; i++) {
      const float d = o[i] - y[i];
      sse += (double)d * d;
      if (grad) g[i] = two * d;
    }
    out.sse = sse;
    out.loss = sse / ((double)n * c);
  }
  if (prof) prof->lap(P_LOSS);
  return out;
}

/** Column sums of an n × w matrix, added to acc. */
void colSum(const float* a, int n, int w, float* acc) {
  for (int i = 0; i < n; i++) addRow(acc, a + (size_t)i * w, w);
}

/** Gradients of every trainable parameter from ∂loss/∂out in scratch.dA (after forward with grad). */
void backward(Model& M, int n) {
  Scratch& S = M.scratch;
  Prof& prof = M.prof;
  const int L = M.layers();
  // Lowest layer whose input gradient is needed: a trainable parameter sits at or below it.
  int lowest = L;  // index of the lowest trainable layer
  for (int k = 0; k < L; k++)
    if (M.kernel[k].trainable || (M.bias[k].w && M.bias[k].trainable)) {
      lowest = k;
      break;
    }
  const bool embTrain = M.first == EMBEDDING && M.emb.trainable;
  if (embTrain) lowest = -1;
  std::vector<float>* dz = &S.dA;  // ∂/∂Z[k]
  std::vector<float>* dh = &S.dB;
  const int k0 = M.first == ONEHOT ? 1 : 0;
  for (int k = L - 1; k >= 0 && k >= lowest; k--) {
    const int w = M.widths[k + 1];
    const int d = M.widths[k];
    Param& K = M.kernel[k];
    Param& B = M.bias[k];
    const float* dzp = dz->data();
    if (B.w && B.trainable) {
      std::fill(B.g.begin(), B.g.end(), 0.f);
      colSum(dzp, n, w, B.g.data());
    }
    if (k < k0) {
      // The one-hot layer: ∂W₀ is the scatter-add of the rows of ∂Z₀.
      if (K.trainable) {
        std::fill(K.g.begin(), K.g.end(), 0.f);
        float* gw = K.g.data();
        for (int i = 0; i < n; i++) {
          const float* src = dzp + (size_t)i * w;
          addRow(gw + (size_t)S.ia[i] * w, src, w);
          addRow(gw + (size_t)S.ib[i] * w, src, w);
        }
      }
      prof.lap(P_FIRST_BWD);
      break;
    }
    const float* in = k == 0 ? S.in0 : S.H[k - 1].data();
    if (K.trainable) {
      // ∂W = inᵀ · ∂Z, computed as its transpose ∂Zᵀ · in (the product's columns are then the layer's d
      // inputs, a multiple of the 16-wide strips where the w outputs — 97 classes — are not) and transposed.
      S.gT.resize((size_t)w * d);
      sgemm(w, d, n, dzp, 1, w, in, d, 1, S.gT.data(), d, false);
      float* gw = K.g.data();
      const float* t = S.gT.data();
      for (int i = 0; i < d; i++)
        for (int j = 0; j < w; j++) gw[(size_t)i * w + j] = t[(size_t)j * d + i];
    }
    // The input's gradient is needed only when a trainable parameter lies below this layer.
    if (!(k > lowest && (k > 0 || embTrain))) {
      prof.lap(P_BWD_GEMM);
      break;
    }
    // ∂in = ∂Z · Wᵀ
    dh->resize((size_t)n * d);
    sgemm(n, d, w, dzp, w, 1, K.w, 1, w, dh->data(), d, false);
    prof.lap(P_BWD_GEMM);
    if (k == 0) {
      // Embedding: ∂E[a] += ∂in[:, :d], ∂E[b] += ∂in[:, d:].
      const int e = M.embDim;
      std::fill(M.emb.g.begin(), M.emb.g.end(), 0.f);
      float* ge = M.emb.g.data();
      const float* src = dh->data();
      for (int i = 0; i < n; i++) {
        const float* si = src + (size_t)i * 2 * e;
        addRow(ge + (size_t)S.ia[i] * e, si, e);
        addRow(ge + (size_t)S.ib[i] * e, si + e, e);
      }
      prof.lap(P_FIRST_BWD);
      break;
    }
    const float* z = S.Z[k - 1].data();
    const float* h = S.H[k - 1].data();
    float* g = dh->data();
    if (k == 1 && M.first == ONEHOT && M.act == RELU) {
      // The one-hot relu layer in one pass over ∂H₀: relu′ mask, the scatter-add into ∂W₀ and ∂b₀.
      Param& K0 = M.kernel[0];
      Param& B0 = M.bias[0];
      const bool gw = K0.trainable, gb = B0.w && B0.trainable;
      if (gw) std::fill(K0.g.begin(), K0.g.end(), 0.f);
      if (gb) std::fill(B0.g.begin(), B0.g.end(), 0.f);
      float* accB = gb ? B0.g.data() : nullptr;
      S.row.resize(d);
      for (int i = 0; i < n; i++) {
        float* ra = gw ? K0.g.data() + (size_t)S.ia[i] * d : nullptr;
        float* rb = gw ? K0.g.data() + (size_t)S.ib[i] * d : nullptr;
        reluScatter(g + (size_t)i * d, h + (size_t)i * d, S.row.data(), ra, rb, accB, d);
      }
      prof.lap(P_FIRST_BWD);
      break;
    }
    // ∂Z[k-1] = ∂H[k-1] ⊙ act′(Z[k-1])
    const size_t cnt = (size_t)n * d;
    if (M.act == RELU) {
      // relu′ from h = relu(z): h > 0 exactly when z > 0 (Z[0] is not kept when the gather fused the relu).
      for (size_t i = 0; i < cnt; i++) g[i] = reluGrad(h[i], g[i]);
    } else {
      for (size_t i = 0; i < cnt; i++) g[i] *= actD(M.act, z[i], h[i]);
    }
    std::swap(dz, dh);
  }
}

void update(Model& M, Param& P, float lr) {
  if (!P.w || !P.trainable) return;
  float* __restrict w = P.w;
  float* __restrict m = P.m;
  float* __restrict v = P.v;
  const float* __restrict g0 = P.g.data();
  const size_t n = P.size;
  const float wd = M.wd;
  const bool coupled = M.opt != ADAMW && wd != 0.f;
  switch (M.opt) {
    case SGD:
      for (size_t i = 0; i < n; i++) {
        const float g = coupled ? g0[i] + w[i] * wd : g0[i];
        w[i] = w[i] - g * lr;
      }
      break;
    case MOMENTUM: {
      const float mu = M.momentum;
      const bool first = M.t == 1;
      for (size_t i = 0; i < n; i++) {
        const float g = coupled ? g0[i] + w[i] * wd : g0[i];
        const float buf = first ? g : m[i] * mu + g;
        m[i] = buf;
        const float d = M.nesterov ? g + buf * mu : buf;
        w[i] = w[i] - d * lr;
      }
      break;
    }
    default: {
      const float b1 = M.beta1, b2 = M.beta2, eps = M.eps;
      const float c1 = 1.f - b1, c2 = 1.f - b2;
      const double bc1 = 1 - std::pow((double)b1, (double)M.t);
      const double bc2 = 1 - std::pow((double)b2, (double)M.t);
      const float sbc2 = (float)std::sqrt(bc2);
      const float step = (float)(lr / bc1);
      const float decay = M.opt == ADAMW && wd != 0.f ? (float)(1 - (double)lr * wd) : 1.f;
      for (size_t i = 0; i < n; i++) {
        const float g = coupled ? g0[i] + w[i] * wd : g0[i];
        const float mi = m[i] * b1 + g * c1;
        const float vi = v[i] * b2 + g * g * c2;
        m[i] = mi;
        v[i] = vi;
        const float denom = std::sqrt(vi) / sbc2 + eps;
        const float base = decay != 1.f ? w[i] * decay : w[i];
        w[i] = base - (mi / denom) * step;
      }
    }
  }
}

// ------------------------------------------------------------------------------------------ Node-API

#define CHECK(call)                                                                \
  do {                                                                             \
    if ((call) != napi_ok) {                                                       \
      napi_throw_error(env, nullptr, "td_native: Node-API call failed: " #call);  \
      return nullptr;                                                              \
    }                                                                              \
  } while (0)

napi_value prop(napi_env env, napi_value obj, const char* name) {
  napi_value v;
  napi_get_named_property(env, obj, name, &v);
  return v;
}
double num(napi_env env, napi_value obj, const char* name) {
  double d = 0;
  napi_get_value_double(env, prop(env, obj, name), &d);
  return d;
}
bool flag(napi_env env, napi_value obj, const char* name) {
  bool b = false;
  napi_get_value_bool(env, prop(env, obj, name), &b);
  return b;
}

/** Data pointer of a typed array (or null for null/undefined); keeps a reference so it is not collected. */
template <typename T>
T* typed(napi_env env, napi_value v, Model* M, size_t* len = nullptr) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t != napi_object) return nullptr;
  bool is = false;
  napi_is_typedarray(env, v, &is);
  if (!is) return nullptr;
  napi_typedarray_type type;
  size_t length;
  void* data;
  napi_value ab;
  size_t off;
  napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &off);
  if (len) *len = length;
  napi_ref ref;
  napi_create_reference(env, v, 1, &ref);
  M->refs.push_back(ref);
  return static_cast<T*>(data);
}

Model* unwrap(napi_env env, napi_value v) {
  void* p = nullptr;
  napi_get_value_external(env, v, &p);
  return static_cast<Model*>(p);
}

/** Drops the references to the JS buffers (after the evaluation thread, if one runs, is done with them). */
void releaseBuffers(napi_env env, Model* M) {
  for (napi_ref r : M->refs) napi_delete_reference(env, r);
  M->refs.clear();
  for (auto& s : M->splits) s = Split();
  M->emb.w = nullptr;
  for (auto& p : M->kernel) p.w = nullptr;
  for (auto& p : M->bias) p.w = nullptr;
  M->live = Weights();
}

void finalize(napi_env env, void* data, void*) {
  Model* M = static_cast<Model*>(data);
  // A running evaluation holds a reference to the handle, so it has finished by now.
  releaseBuffers(env, M);
  for (EvalJob* j : M->jobs) delete j;
  delete M;
}

/** create(desc, params): params in Mlp.params order, each { w, m, v, trainable } (Float32Arrays). */
napi_value Create(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Model* M = new Model();
  napi_value desc = argv[0];
  M->first = (int)num(env, desc, "first");
  M->act = (int)num(env, desc, "activation");
  M->loss = (int)num(env, desc, "loss");
  M->opt = (int)num(env, desc, "optimizer");
  M->wd = (float)num(env, desc, "weightDecay");
  M->momentum = (float)num(env, desc, "momentum");
  M->nesterov = flag(env, desc, "nesterov");
  M->beta1 = (float)num(env, desc, "beta1");
  M->beta2 = (float)num(env, desc, "beta2");
  M->eps = (float)num(env, desc, "eps");
  M->hasBias = flag(env, desc, "bias");
  M->embRows = (int)num(env, desc, "embeddingRows");
  M->embDim = (int)num(env, desc, "embeddingDim");
  napi_value widths = prop(env, desc, "widths");
  uint32_t nw = 0;
  napi_get_array_length(env, widths, &nw);
  for (uint32_t i = 0; i < nw; i++) {
    napi_value e;
    napi_get_element(env, widths, i, &e);
    int32_t w;
    napi_get_value_int32(env, e, &w);
    M->widths.push_back(w);
  }
  const int L = M->layers();
  uint32_t np = 0;
  napi_get_array_length(env, argv[1], &np);
  const uint32_t expected = (M->first == EMBEDDING ? 1 : 0) + L * (M->hasBias ? 2 : 1);
  if (L < 1 || np != expected) {
    delete M;
    napi_throw_error(env, nullptr, "td_native: parameter list does not match the model description");
    return nullptr;
  }
  M->kernel.resize(L);
  M->bias.resize(L);
  uint32_t idx = 0;
  auto take = [&](Param& P, size_t size) -> bool {
    napi_value e;
    napi_get_element(env, argv[1], idx++, &e);
    size_t lw = 0, lm = 0, lv = 0;
    P.w = typed<float>(env, prop(env, e, "w"), M, &lw);
    P.m = typed<float>(env, prop(env, e, "m"), M, &lm);
    P.v = typed<float>(env, prop(env, e, "v"), M, &lv);
    P.trainable = flag(env, e, "trainable");
    P.size = size;
    P.g.assign(size, 0.f);
    return P.w && P.m && P.v && lw == size && lm == size && lv == size;
  };
  bool ok = true;
  if (M->first == EMBEDDING) ok = ok && take(M->emb, (size_t)M->embRows * M->embDim);
  for (int k = 0; k < L; k++) {
    ok = ok && take(M->kernel[k], (size_t)M->widths[k] * M->widths[k + 1]);
    if (M->hasBias) ok = ok && take(M->bias[k], (size_t)M->widths[k + 1]);
  }
  if (!ok) {
    releaseBuffers(env, M);
    delete M;
    napi_throw_error(env, nullptr, "td_native: a parameter buffer has the wrong size");
    return nullptr;
  }
  M->live.emb = M->emb.w;
  for (int k = 0; k < L; k++) {
    M->live.kernel.push_back(M->kernel[k].w);
    M->live.bias.push_back(M->bias[k].w);
  }
  napi_value ext;
  CHECK(napi_create_external(env, M, finalize, nullptr, &ext));
  return ext;
}

/** A usable model handle, or throws (released models included). */
Model* live(napi_env env, napi_value v) {
  Model* M = unwrap(env, v);
  if (!M || M->releasePending || M->kernel.empty() || !M->kernel[0].w) {
    napi_throw_error(env, nullptr, "td_native: the model was released");
    return nullptr;
  }
  return M;
}

/**
 * A call on a model: its first N arguments (missing ones undefined) into argv and the model handle argv[0], a
 * usable one (live) unless `anyState` (profile, release). Null with a JS exception pending when either fails.
 */
template <size_t N>
Model* modelCall(napi_env env, napi_callback_info info, napi_value (&argv)[N], bool anyState = false) {
  size_t argc = N;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) {
    napi_throw_error(env, nullptr, "td_native: Node-API call failed: napi_get_cb_info");
    return nullptr;
  }
  return anyState ? unwrap(env, argv[0]) : live(env, argv[0]);
}

/** A split slot argument (0 the training split, 1 the test split); false with a JS exception pending otherwise. */
bool slotArg(napi_env env, napi_value v, int32_t* slot) {
  if (napi_get_value_int32(env, v, slot) != napi_ok || *slot < 0 || *slot > 1) {
    napi_throw_error(env, nullptr, "td_native: bad split slot");
    return false;
  }
  return true;
}

/** setSplit(model, slot, { n, x?, ia?, ib?, labels?, y? }) */
napi_value SetSplit(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  Model* M = modelCall(env, info, argv);
  int32_t slot;
  if (!M || !slotArg(env, argv[1], &slot)) return nullptr;
  if (M->running > 0) {
    napi_throw_error(env, nullptr, "td_native: setSplit while an evaluation is running");
    return nullptr;
  }
  Split& s = M->splits[slot];
  s.n = (int)num(env, argv[2], "n");
  s.x = typed<float>(env, prop(env, argv[2], "x"), M);
  s.ia = typed<int32_t>(env, prop(env, argv[2], "ia"), M);
  s.ib = typed<int32_t>(env, prop(env, argv[2], "ib"), M);
  s.labels = typed<int32_t>(env, prop(env, argv[2], "labels"), M);
  s.y = typed<float>(env, prop(env, argv[2], "y"), M);
  return nullptr;
}

napi_value doubles(napi_env env, const double* v, size_t n) {
  napi_value ab, arr;
  void* data;
  napi_create_arraybuffer(env, n * sizeof(double), &data, &ab);
  std::memcpy(data, v, n * sizeof(double));
  napi_create_typedarray(env, napi_float64_array, n, ab, 0, &arr);
  return arr;
}
napi_value doubles(napi_env env, const std::vector<double>& v) { return doubles(env, v.data(), v.size()); }

/**
 * step(model, rows | null, lr, measure) → Float64Array [loss, correct, sse, ‖∇‖ per parameter…]: one optimizer
 * step on the training split (rows of it for a mini-batch). Gradient norms (Mlp.params order, 0 for frozen
 * parameters) only when `measure`.
 */
napi_value Step(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  Model* M = modelCall(env, info, argv);
  if (!M) return nullptr;
  const Split& s = M->splits[0];
  size_t nrows = 0;
  const int32_t* rows = nullptr;
  {
    napi_valuetype t;
    napi_typeof(env, argv[1], &t);
    if (t == napi_object) {
      napi_typedarray_type type;
      void* data;
      napi_value ab;
      size_t off;
      CHECK(napi_get_typedarray_info(env, argv[1], &type, &nrows, &data, &ab, &off));
      rows = static_cast<const int32_t*>(data);
    }
  }
  const int n = rows ? (int)nrows : s.n;
  double lr;
  CHECK(napi_get_value_double(env, argv[2], &lr));
  bool measure;
  CHECK(napi_get_value_bool(env, argv[3], &measure));
  M->prof.start();
  const Metrics m = forward(*M, M->live, M->scratch, s, rows, n, true, &M->prof);
  backward(*M, n);
  std::vector<double> out{m.loss, m.correct, m.sse};
  M->eachParam([&](Param& P) { out.push_back(measure && P.trainable ? l2(P.g.data(), P.size) : 0.0); });
  M->prof.lap(P_GRAD_NORMS);
  M->t += 1;
  M->eachParam([&](Param& P) { update(*M, P, (float)lr); });
  M->prof.lap(P_OPTIMIZER);
  return doubles(env, out);
}

/** evaluate(model, slot) → Float64Array [loss, correct, sse] of the current weights on a whole split. */
napi_value Evaluate(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  Model* M = modelCall(env, info, argv);
  int32_t slot;
  if (!M || !slotArg(env, argv[1], &slot)) return nullptr;
  const Split& s = M->splits[slot];
  const double t0 = M->prof.on ? threadCpuMs() : 0;
  const Metrics m = forward(*M, M->live, M->scratch, s, nullptr, s.n, false, nullptr);
  if (M->prof.on) M->prof.ms[P_EVAL] += threadCpuMs() - t0;
  const double r[3] = {m.loss, m.correct, m.sse};
  return doubles(env, r, 3);
}

void evalExecute(napi_env, void* data) {
  EvalJob* J = static_cast<EvalJob*>(data);
  const double t0 = threadCpuMs();
  const Split& s = J->M->splits[J->slot];
  J->result = forward(*J->M, J->W, J->S, s, nullptr, s.n, false, nullptr);
  J->cpuMs = threadCpuMs() - t0;
}

void evalComplete(napi_env env, napi_status status, void* data) {
  EvalJob* J = static_cast<EvalJob*>(data);
  Model* M = J->M;
  napi_deferred deferred = J->deferred;
  napi_delete_async_work(env, J->work);
  J->work = nullptr;
  J->deferred = nullptr;
  J->busy = false;
  M->running--;
  if (M->prof.on) M->prof.ms[P_EVAL] += J->cpuMs;
  if (M->releasePending && M->running == 0) releaseBuffers(env, M);
  napi_ref keep = J->keep;
  J->keep = nullptr;
  if (status == napi_ok) {
    const double r[3] = {J->result.loss, J->result.correct, J->result.sse};
    napi_resolve_deferred(env, deferred, doubles(env, r, 3));
  } else {
    napi_value msg, err;
    napi_create_string_utf8(env, "td_native: the evaluation thread was cancelled", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, nullptr, msg, &err);
    napi_reject_deferred(env, deferred, err);
  }
  napi_delete_reference(env, keep);
}

/**
 * evaluateAsync(model, slot) → Promise<Float64Array [loss, correct, sse]>: the same as evaluate() of the
 * weights as they are now, computed on a libuv worker thread while the caller goes on training (the weights
 * are copied first, so the caller may step on at once).
 */
napi_value EvaluateAsync(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  Model* M = modelCall(env, info, argv);
  int32_t slot;
  if (!M || !slotArg(env, argv[1], &slot)) return nullptr;
  EvalJob* idle = nullptr;
  for (EvalJob* j : M->jobs)
    if (!j->busy) idle = j;
  if (!idle) {
    idle = new EvalJob();
    idle->M = M;
    M->jobs.push_back(idle);
  }
  EvalJob& J = *idle;
  const double t0 = M->prof.on ? threadCpuMs() : 0;
  J.copy.resize(M->paramFloats());
  float* dst = J.copy.data();
  auto copyOf = [&](const float* src, size_t size) -> const float* {
    if (!src) return nullptr;
    std::memcpy(dst, src, size * sizeof(float));
    const float* at = dst;
    dst += size;
    return at;
  };
  const int L = M->layers();
  J.W.kernel.assign(L, nullptr);
  J.W.bias.assign(L, nullptr);
  J.W.emb = M->first == EMBEDDING ? copyOf(M->emb.w, M->emb.size) : nullptr;
  for (int k = 0; k < L; k++) {
    J.W.kernel[k] = copyOf(M->kernel[k].w, M->kernel[k].size);
    if (M->hasBias) J.W.bias[k] = copyOf(M->bias[k].w, M->bias[k].size);
  }
  J.slot = slot;
  napi_value promise, name;
  CHECK(napi_create_promise(env, &J.deferred, &promise));
  CHECK(napi_create_string_utf8(env, "td_native.evaluate", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_async_work(env, nullptr, name, evalExecute, evalComplete, &J, &J.work));
  CHECK(napi_create_reference(env, argv[0], 1, &J.keep));
  J.busy = true;
  M->running++;
  CHECK(napi_queue_async_work(env, J.work));
  if (M->prof.on) M->prof.ms[P_EVAL] += threadCpuMs() - t0;
  return promise;
}

/** markWeights(model): remembers the current weights (the start of an epoch) for weightStats. */
napi_value MarkWeights(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  Model* M = modelCall(env, info, argv);
  if (!M) return nullptr;
  const double t0 = M->prof.on ? threadCpuMs() : 0;
  M->before.resize(M->paramFloats());
  float* dst = M->before.data();
  M->eachParam([&](Param& P) {
    std::memcpy(dst, P.w, P.size * sizeof(float));
    dst += P.size;
  });
  if (M->prof.on) M->prof.ms[P_WEIGHT_STATS] += threadCpuMs() - t0;
  return nullptr;
}

/**
 * weightStats(model) → Float64Array [‖w‖, ‖w − w₀‖, ‖w₀‖] per parameter (Mlp.params order), w₀ the weights at
 * the last markWeights() (float64 sums, as the tfjs path's JS loops).
 */
napi_value WeightStats(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  Model* M = modelCall(env, info, argv);
  if (!M) return nullptr;
  const double t0 = M->prof.on ? threadCpuMs() : 0;
  if (M->before.size() != M->paramFloats()) {
    napi_throw_error(env, nullptr, "td_native: weightStats before markWeights");
    return nullptr;
  }
  std::vector<double> out;
  const float* b = M->before.data();
  M->eachParam([&](Param& P) {
    out.push_back(l2(P.w, P.size));
    out.push_back(std::sqrt(sumSquaredDiff(P.w, b, P.size)));
    out.push_back(l2(b, P.size));
    b += P.size;
  });
  if (M->prof.on) M->prof.ms[P_WEIGHT_STATS] += threadCpuMs() - t0;
  return doubles(env, out);
}

/** hidden(model, slot) → Float32Array per hidden layer: its activations on the whole split (n × width). */
napi_value Hidden(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  Model* M = modelCall(env, info, argv);
  int32_t slot;
  if (!M || !slotArg(env, argv[1], &slot)) return nullptr;
  const Split& s = M->splits[slot];
  forward(*M, M->live, M->scratch, s, nullptr, s.n, false, nullptr);
  napi_value arr;
  CHECK(napi_create_array(env, &arr));
  for (int k = 0; k + 1 < M->layers(); k++) {
    const size_t cnt = (size_t)s.n * M->widths[k + 1];
    napi_value ab, ta;
    void* data;
    CHECK(napi_create_arraybuffer(env, cnt * sizeof(float), &data, &ab));
    std::memcpy(data, M->scratch.H[k].data(), cnt * sizeof(float));
    CHECK(napi_create_typedarray(env, napi_float32_array, cnt, ab, 0, &ta));
    CHECK(napi_set_element(env, arr, k, ta));
  }
  return arr;
}

/**
 * profile(model, on) → Float64Array of the CPU ms per phase (PHASES order) since the last call, then resets
 * them and switches the phase timers on or off. The evaluation thread's time counts under "test evaluation".
 */
napi_value Profile(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  Model* M = modelCall(env, info, argv, true);
  if (!M) return nullptr;
  bool on;
  CHECK(napi_get_value_bool(env, argv[1], &on));
  napi_value r = doubles(env, M->prof.ms, P_COUNT);
  std::fill(M->prof.ms, M->prof.ms + P_COUNT, 0.0);
  M->prof.on = on;
  return r;
}

/**
 * release(model): drops the references to the JS buffers (the model must not be used afterwards). With an
 * evaluation still running, they are dropped when it finishes.
 */
napi_value Release(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  Model* M = modelCall(env, info, argv, true);
  if (!M) return nullptr;
  if (M->running > 0) {
    M->releasePending = true;
  } else {
    releaseBuffers(env, M);
  }
  return nullptr;
}

// ------------------------------------------------------------------------------------------ inspector kernels
// The checkpoint inspector's per-element loops (extension/engine/safetensors/stream.ts calls them through
// engine/fast/native.ts when they are here; engine/probes/stats.ts is the JS definition they follow): the
// statistics of a chunk, its equal-width histogram, and the count of each code of a one- or two-byte dtype.

/** A typed array's element type, length and first element (false, with a JS error, if `v` is not one). */
bool typedView(napi_env env, napi_value v, napi_typedarray_type* type, size_t* n, void** data) {
  bool is = false;
  napi_is_typedarray(env, v, &is);
  if (!is) {
    napi_throw_type_error(env, nullptr, "td_native: expected a typed array");
    return false;
  }
  napi_value ab;
  size_t off;
  return napi_get_typedarray_info(env, v, type, n, data, &ab, &off) == napi_ok;
}

constexpr size_t STATS_BLOCK = 1024;  // engine/probes/stats.ts BLOCK

#if TD_AVX2
inline __m256d load4(const float* p) { return _mm256_cvtps_pd(_mm_loadu_ps(p)); }
inline __m256d load4(const double* p) { return _mm256_loadu_pd(p); }
#endif

/**
 * tensorStats' blocked algorithm: per block of STATS_BLOCK, count, sum, Σx², zeros, min and max, then
 * Σ(x − block mean)² over the cached block, blocks merged with Chan et al.'s update. A block without NaN/±Inf
 * (its sums finite) is summed in four lanes the compiler vectorises; any other block takes the element-wise
 * loop of stats.ts, so NaN and ±Inf are counted and excluded exactly as there.
 * out: [finite, nan, inf, zeros, mean, m2, sumSq, min, max].
 */
template <typename T>
void chunkStats(const T* x, size_t n, double* out) {
  double finite = 0, nan = 0, inf = 0, zeros = 0, mean = 0, m2 = 0, sumSq = 0;
  double mn = INFINITY, mx = -INFINITY;
  for (size_t start = 0; start < n; start += STATS_BLOCK) {
    const size_t len = std::min(STATS_BLOCK, n - start);
    const T* b = x + start;
    double s[4] = {0, 0, 0, 0}, q[4] = {0, 0, 0, 0}, lo[4] = {INFINITY, INFINITY, INFINITY, INFINITY}, hi[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
    double z[4] = {0, 0, 0, 0};
    size_t i = 0;
#if TD_AVX2
    {
      __m256d s0 = _mm256_setzero_pd(), s1 = s0, q0 = s0, q1 = s0, z0 = s0, z1 = s0;
      __m256d lo0 = _mm256_set1_pd(INFINITY), lo1 = lo0, hi0 = _mm256_set1_pd(-INFINITY), hi1 = hi0;
      const __m256d zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1.0);
      for (; i + 8 <= len; i += 8) {
        const __m256d a = load4(b + i), c = load4(b + i + 4);
        s0 = _mm256_add_pd(s0, a);
        s1 = _mm256_add_pd(s1, c);
        q0 = _mm256_fmadd_pd(a, a, q0);
        q1 = _mm256_fmadd_pd(c, c, q1);
        lo0 = _mm256_min_pd(lo0, a);
        lo1 = _mm256_min_pd(lo1, c);
        hi0 = _mm256_max_pd(hi0, a);
        hi1 = _mm256_max_pd(hi1, c);
        z0 = _mm256_add_pd(z0, _mm256_and_pd(_mm256_cmp_pd(a, zero, _CMP_EQ_OQ), one));
        z1 = _mm256_add_pd(z1, _mm256_and_pd(_mm256_cmp_pd(c, zero, _CMP_EQ_OQ), one));
      }
      _mm256_storeu_pd(s, _mm256_add_pd(s0, s1));
      _mm256_storeu_pd(q, _mm256_add_pd(q0, q1));
      _mm256_storeu_pd(lo, _mm256_min_pd(lo0, lo1));
      _mm256_storeu_pd(hi, _mm256_max_pd(hi0, hi1));
      _mm256_storeu_pd(z, _mm256_add_pd(z0, z1));
    }
#endif
    for (; i + 4 <= len; i += 4) {
      for (int l = 0; l < 4; l++) {
        const double v = (double)b[i + l];
        s[l] += v;
        q[l] += v * v;
        lo[l] = v < lo[l] ? v : lo[l];
        hi[l] = v > hi[l] ? v : hi[l];
        z[l] += v == 0 ? 1.0 : 0.0;
      }
    }
    for (; i < len; i++) {
      const double v = (double)b[i];
      s[0] += v;
      q[0] += v * v;
      lo[0] = v < lo[0] ? v : lo[0];
      hi[0] = v > hi[0] ? v : hi[0];
      z[0] += v == 0 ? 1.0 : 0.0;
    }
    double sum = (s[0] + s[1]) + (s[2] + s[3]);
    double sq = (q[0] + q[1]) + (q[2] + q[3]);
    double count, bm, bm2 = 0;
    if (std::isfinite(sum) && std::isfinite(sq)) {
      count = (double)len;
      zeros += (z[0] + z[1]) + (z[2] + z[3]);
      mn = std::min(mn, std::min(std::min(lo[0], lo[1]), std::min(lo[2], lo[3])));
      mx = std::max(mx, std::max(std::max(hi[0], hi[1]), std::max(hi[2], hi[3])));
      bm = sum / count;
      double d[4] = {0, 0, 0, 0};
      i = 0;
#if TD_AVX2
      {
        __m256d d0 = _mm256_setzero_pd(), d1 = d0;
        const __m256d m = _mm256_set1_pd(bm);
        for (; i + 8 <= len; i += 8) {
          const __m256d e0 = _mm256_sub_pd(load4(b + i), m), e1 = _mm256_sub_pd(load4(b + i + 4), m);
          d0 = _mm256_fmadd_pd(e0, e0, d0);
          d1 = _mm256_fmadd_pd(e1, e1, d1);
        }
        _mm256_storeu_pd(d, _mm256_add_pd(d0, d1));
      }
#endif
      for (; i + 4 <= len; i += 4) {
        for (int l = 0; l < 4; l++) {
          const double e = (double)b[i + l] - bm;
          d[l] += e * e;
        }
      }
      for (; i < len; i++) {
        const double e = (double)b[i] - bm;
        d[0] += e * e;
      }
      bm2 = (d[0] + d[1]) + (d[2] + d[3]);
    } else {
      // NaN/±Inf in the block, or sums past the float64 range: stats.ts element by element.
      count = 0;
      sum = 0;
      sq = 0;
      for (i = 0; i < len; i++) {
        const double v = (double)b[i];
        if (!std::isfinite(v)) {
          if (std::isnan(v)) nan++;
          else inf++;
          continue;
        }
        count++;
        sum += v;
        sq += v * v;
        if (v == 0) zeros++;
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      }
      if (count == 0) continue;
      bm = sum / count;
      for (i = 0; i < len; i++) {
        const double v = (double)b[i];
        if (std::isfinite(v)) bm2 += (v - bm) * (v - bm);
      }
    }
    const double total = finite + count;
    if (finite == 0) {
      // The first block with finite values (d² · 0 would be NaN once d² overflows).
      mean = bm;
      m2 = bm2;
    } else {
      const double dd = bm - mean;
      mean += (dd * count) / total;
      m2 += bm2 + (dd * dd * finite * count) / total;
    }
    finite = total;
    sumSq += sq;
  }
  const double r[9] = {finite, nan, inf, zeros, mean, m2, sumSq, mn, mx};
  std::memcpy(out, r, sizeof r);
}

/** inspectStats(Float32Array | Float64Array) → Float64Array [finite, nan, inf, zeros, mean, m2, sumSq, min, max]. */
napi_value InspectStats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  napi_typedarray_type type;
  size_t n;
  void* data;
  if (argc < 1 || !typedView(env, argv[0], &type, &n, &data)) return nullptr;
  double out[9];
  if (type == napi_float32_array) chunkStats(static_cast<const float*>(data), n, out);
  else if (type == napi_float64_array) chunkStats(static_cast<const double*>(data), n, out);
  else {
    napi_throw_type_error(env, nullptr, "td_native: inspectStats takes a Float32Array or a Float64Array");
    return nullptr;
  }
  return doubles(env, out, 9);
}

/** stats.ts histogram's binning over [lo, hi] (k = ⌊(x − lo)·perWidth⌋, the last bin closed), four sub-counts. */
template <typename T>
void chunkHistogram(const T* x, size_t n, double lo, double hi, double perWidth, uint32_t bins, double* counts) {
  // Four sub-counts (so that runs of one bin do not wait on one counter) and a fifth row for out-of-range values.
  std::vector<uint32_t> sub(5 * (size_t)bins, 0);
  const uint32_t last = bins - 1;
  size_t i = 0;
#if TD_AVX2
  {
    const __m256d vlo = _mm256_set1_pd(lo), vhi = _mm256_set1_pd(hi), vpw = _mm256_set1_pd(perWidth);
    const __m128i vlast = _mm_set1_epi32((int)last), vout = _mm_set1_epi32((int)(4 * bins));
    alignas(16) int32_t k[8];
    for (; i + 8 <= n; i += 8) {
      for (int h = 0; h < 2; h++) {
        const __m256d v = load4(x + i + 4 * h);
        const __m256d in = _mm256_and_pd(_mm256_cmp_pd(v, vlo, _CMP_GE_OQ), _mm256_cmp_pd(v, vhi, _CMP_LE_OQ));
        // Out-of-range (and NaN) lanes are zeroed before the conversion and sent to the fifth row after it.
        const __m128i idx = _mm_min_epi32(_mm256_cvttpd_epi32(_mm256_and_pd(_mm256_mul_pd(_mm256_sub_pd(v, vlo), vpw), in)), vlast);
        const __m128i mask = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(_mm256_castpd_si256(in), _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7)));
        const __m128i rows = _mm_setr_epi32(0, (int)bins, (int)(2 * bins), (int)(3 * bins));
        _mm_store_si128(reinterpret_cast<__m128i*>(k + 4 * h), _mm_blendv_epi8(vout, _mm_add_epi32(idx, rows), mask));
      }
      for (int l = 0; l < 8; l++) sub[k[l]]++;
    }
  }
#endif
  for (; i < n; i++) {
    const double v = (double)x[i];
    if (!(v >= lo && v <= hi)) continue;
    uint32_t k = (uint32_t)(int32_t)((v - lo) * perWidth);
    sub[(i & 3) * bins + (k > last ? last : k)]++;
  }
  for (uint32_t b = 0; b < bins; b++) counts[b] += (double)sub[b] + (double)sub[bins + b] + (double)sub[2 * bins + b] + (double)sub[3 * bins + b];
}

/** inspectHistogram(values: Float32Array | Float64Array, lo, hi, perWidth, counts: Float64Array): adds to counts. */
napi_value InspectHistogram(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  napi_typedarray_type type, ctype;
  size_t n, bins;
  void *data, *cdata;
  if (argc < 5 || !typedView(env, argv[0], &type, &n, &data) || !typedView(env, argv[4], &ctype, &bins, &cdata)) return nullptr;
  double lo, hi, perWidth;
  CHECK(napi_get_value_double(env, argv[1], &lo));
  CHECK(napi_get_value_double(env, argv[2], &hi));
  CHECK(napi_get_value_double(env, argv[3], &perWidth));
  if (ctype != napi_float64_array || bins == 0 || bins > (1u << 20) || n > 0xffffffffu || (type != napi_float32_array && type != napi_float64_array)) {
    napi_throw_type_error(env, nullptr, "td_native: inspectHistogram(Float32Array | Float64Array, lo, hi, perWidth, Float64Array counts)");
    return nullptr;
  }
  double* counts = static_cast<double*>(cdata);
  if (type == napi_float32_array) chunkHistogram(static_cast<const float*>(data), n, lo, hi, perWidth, (uint32_t)bins, counts);
  else chunkHistogram(static_cast<const double*>(data), n, lo, hi, perWidth, (uint32_t)bins, counts);
  return nullptr;
}

/** countCodes(codes: Uint8Array | Uint16Array, counts: Float64Array of 256 | 65536): adds each code's count. */
napi_value CountCodes(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  napi_typedarray_type type, ctype;
  size_t n, size;
  void *data, *cdata;
  if (argc < 2 || !typedView(env, argv[0], &type, &n, &data) || !typedView(env, argv[1], &ctype, &size, &cdata)) return nullptr;
  const size_t codes = type == napi_uint8_array ? 256 : type == napi_uint16_array ? 65536 : 0;
  if (codes == 0 || ctype != napi_float64_array || size != codes || n > 0xffffffffu) {
    napi_throw_type_error(env, nullptr, "td_native: countCodes(Uint8Array | Uint16Array, Float64Array of 256 | 65536)");
    return nullptr;
  }
  std::vector<uint32_t> sub(4 * codes, 0);
  if (codes == 256) {
    const uint8_t* c = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < n; i++) sub[(i & 3) * 256 + c[i]]++;
  } else {
    const uint16_t* c = static_cast<const uint16_t*>(data);
    for (size_t i = 0; i < n; i++) sub[(i & 3) * 65536 + c[i]]++;
  }
  double* counts = static_cast<double*>(cdata);
  for (size_t k = 0; k < codes; k++) counts[k] += (double)sub[k] + (double)sub[codes + k] + (double)sub[2 * codes + k] + (double)sub[3 * codes + k];
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"create", nullptr, Create, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setSplit", nullptr, SetSplit, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"step", nullptr, Step, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"evaluate", nullptr, Evaluate, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"evaluateAsync", nullptr, EvaluateAsync, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"markWeights", nullptr, MarkWeights, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"weightStats", nullptr, WeightStats, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"hidden", nullptr, Hidden, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"profile", nullptr, Profile, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"release", nullptr, Release, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"inspectStats", nullptr, InspectStats, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"inspectHistogram", nullptr, InspectHistogram, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"countCodes", nullptr, CountCodes, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  napi_value simd;
  napi_create_string_utf8(env, TD_AVX2 ? "AVX2+FMA" : "portable C++", NAPI_AUTO_LENGTH, &simd);
  napi_set_named_property(env, exports, "simd", simd);
  napi_value phases;
  napi_create_array(env, &phases);
  for (int i = 0; i < P_COUNT; i++) {
    napi_value s;
    napi_create_string_utf8(env, PHASE_NAMES[i], NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, phases, i, s);
  }
  napi_set_named_property(env, exports, "phases", phases);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
