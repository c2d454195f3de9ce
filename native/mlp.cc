/*
 * The engine's fast path: one training step of the MLP (forward, loss, backward, optimizer update) and the
 * per-epoch evaluation, fused in C++ and exposed to Node through Node-API (C interface, ABI-stable: one build
 * serves every Node version). Built at install by scripts/build-native.mjs; the engine falls back to the tfjs
 * path whenever this file did not build (extension/engine/fast/native.ts).
 *
 * Why hand-written: the model is small (one-hot first layer, a few hundred hidden units, 97 classes), so
 * the cost of an epoch on tfjs is op dispatch, copies between heaps and scalar kernels, not arithmetic. Here
 * every op is one pass over memory, the one-hot first layer is a row gather (its gradient a scatter-add)
 * and the three matrix products per step run in one blocked GEMM with a 6×16 AVX2/FMA micro-kernel (plain
 * C++ loops where AVX2 is missing). No BLAS: Debian's BLAS packages would become an install requirement.
 *
 * Maths, layouts and parameter names are those of extension/engine/model/mlp.ts and optim/optimizers.ts:
 * kernel [in, out] row-major, bias [out], embedding [p, d]; losses and optimizer formulas as documented
 * there. The fast-path equality tests (test/unit/fastPath.test.ts) compare both paths step by step.
 */
#include <node_api.h>

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

// ---------------------------------------------------------------------------------------------- GEMM
// C[M×N] (row stride ldc) = (accumulate ? C : 0) + op(A)·op(B), with element (i,k) of op(A) at
// A[i·rsA + k·csA] and (k,j) of op(B) at B[k·rsB + j·csB]: the strides express the transposes.

constexpr int MR = 6, NR = 16, KC = 256, MC = 120, NC = 2048;

void packA(int mc, int kc, const float* A, long rsA, long csA, float* dst) {
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
  for (int j0 = 0; j0 < nc; j0 += NR) {
    const int nr = std::min(NR, nc - j0);
    for (int k = 0; k < kc; k++) {
      const float* src = B + k * rsB + j0 * csB;
      if (csB == 1) {
        for (int c = 0; c < nr; c++) dst[c] = src[c];
      } else {
        for (int c = 0; c < nr; c++) dst[c] = src[c * csB];
      }
      for (int c = nr; c < NR; c++) dst[c] = 0.f;
      dst += NR;
    }
  }
}

/** acc(6×16) = Σ_k a[k]·b[k]ᵀ; then C[:mr, :nr] (+)= acc. */
inline void microKernel(int kc, const float* a, const float* b, float* C, long ldc, int mr, int nr, bool add) {
  alignas(32) float tile[MR * NR];
#if TD_AVX2
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
         c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (int k = 0; k < kc; k++) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    __m256 av = _mm256_broadcast_ss(a + 0);
    c00 = _mm256_fmadd_ps(av, b0, c00), c01 = _mm256_fmadd_ps(av, b1, c01);
    av = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(av, b0, c10), c11 = _mm256_fmadd_ps(av, b1, c11);
    av = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(av, b0, c20), c21 = _mm256_fmadd_ps(av, b1, c21);
    av = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(av, b0, c30), c31 = _mm256_fmadd_ps(av, b1, c31);
    av = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(av, b0, c40), c41 = _mm256_fmadd_ps(av, b1, c41);
    av = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(av, b0, c50), c51 = _mm256_fmadd_ps(av, b1, c51);
    a += MR;
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
  for (int k = 0; k < kc; k++) {
    for (int r = 0; r < MR; r++) {
      const float av = a[r];
      for (int c = 0; c < NR; c++) tile[r * NR + c] += av * b[c];
    }
    a += MR;
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

void sgemm(int M, int N, int K, const float* A, long rsA, long csA, const float* B, long rsB, long csB, float* C, long ldc,
           bool accumulate) {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    if (!accumulate)
      for (int i = 0; i < M; i++) std::fill(C + i * ldc, C + i * ldc + N, 0.f);
    return;
  }
  thread_local std::vector<float> pa, pb;
  pa.resize((size_t)(MC + MR) * KC);
  pb.resize((size_t)(std::min(N, NC) + NR) * KC);
  for (int jc = 0; jc < N; jc += NC) {
    const int nc = std::min(NC, N - jc);
    for (int pc = 0; pc < K; pc += KC) {
      const int kc = std::min(KC, K - pc);
      const bool add = accumulate || pc > 0;
      packB(kc, nc, B + pc * rsB + jc * csB, rsB, csB, pb.data());
      for (int ic = 0; ic < M; ic += MC) {
        const int mc = std::min(MC, M - ic);
        packA(mc, kc, A + ic * rsA + pc * csA, rsA, csA, pa.data());
        for (int jr = 0; jr < nc; jr += NR) {
          const float* bp = pb.data() + (size_t)(jr / NR) * kc * NR;
          for (int ir = 0; ir < mc; ir += MR) {
            const float* ap = pa.data() + (size_t)(ir / MR) * kc * MR;
            microKernel(kc, ap, bp, C + (ic + ir) * ldc + jc + jr, ldc, std::min(MR, mc - ir), std::min(NR, nc - jr), add);
          }
        }
      }
    }
  }
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
  // Scratch, sized for the largest row count seen: input rows, pre-activations Z and outputs H per layer,
  // the gradient buffers, the per-step label/target rows.
  std::vector<float> x0;
  const float* in0 = nullptr;  // layer 0's input rows of the last forward pass
  std::vector<std::vector<float>> Z, H;
  std::vector<float> dA, dB;
  std::vector<int32_t> ia, ib, labels;
  std::vector<float> y;
  std::vector<float> rowMax, rowSum;

  int layers() const { return (int)widths.size() - 1; }
};

inline float actF(int act, float z) {
  switch (act) {
    case RELU: return z > 0.f ? z : (z == z ? 0.f : z);
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

/** e[j] = exp(o[j] − mx) for j < c: eight at a time with AVX2 (same polynomial as expNonPositive). */
inline void expRow(const float* o, float mx, float* e, int c) {
  int j = 0;
#if TD_AVX2
  const __m256 vmx = _mm256_set1_ps(mx), lo = _mm256_set1_ps(-87.f), log2e = _mm256_set1_ps(1.44269504088896341f),
               half = _mm256_set1_ps(0.5f), c1 = _mm256_set1_ps(0.693359375f), c2 = _mm256_set1_ps(-2.12194440e-4f),
               p0 = _mm256_set1_ps(1.9875691500e-4f), p1 = _mm256_set1_ps(1.3981999507e-3f), p2 = _mm256_set1_ps(8.3334519073e-3f),
               p3 = _mm256_set1_ps(4.1665795894e-2f), p4 = _mm256_set1_ps(1.6666665459e-1f), p5 = _mm256_set1_ps(5.0000001201e-1f),
               one = _mm256_set1_ps(1.f);
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
    _mm256_storeu_ps(e + j, _mm256_mul_ps(p, _mm256_castsi256_ps(bits)));
  }
#endif
  for (; j < c; j++) e[j] = expNonPositive(o[j] - mx);
}

struct Metrics {
  double loss = 0;  // mean over the rows
  double correct = 0;
  double sse = 0;
};

/**
 * Forward pass over `n` rows of split `s` (rows[i] indexes the split, or all rows in order when rows is
 * null). Leaves Z/H per layer; the output layer's values are in Z[L-1]. Returns the loss metrics and, when
 * `grad`, writes ∂loss/∂out into dA.
 */
Metrics forward(Model& M, const Split& s, const int32_t* rows, int n, bool grad) {
  const int L = M.layers();
  for (int k = 0; k < L; k++) {
    M.Z[k].resize((size_t)n * M.widths[k + 1]);
    if (k + 1 < L) M.H[k].resize((size_t)n * M.widths[k + 1]);
  }
  const float* in = nullptr;
  int k0 = 0;              // first layer computed by a GEMM (1 after the one-hot gather)
  bool reluDone = false;   // the gather wrote relu(z) straight into H[0]
  if (M.first == DENSE) {
    const int d = M.widths[0];
    if (rows) {
      M.x0.resize((size_t)n * d);
      for (int i = 0; i < n; i++) std::memcpy(&M.x0[(size_t)i * d], s.x + (size_t)rows[i] * d, d * sizeof(float));
      in = M.x0.data();
    } else {
      in = s.x;
    }
  } else {
    M.ia.resize(n);
    M.ib.resize(n);
    for (int i = 0; i < n; i++) {
      const int r = rows ? rows[i] : i;
      M.ia[i] = s.ia[r];
      M.ib[i] = s.ib[r];
    }
    if (M.first == EMBEDDING) {
      const int d = M.embDim;
      M.x0.resize((size_t)n * 2 * d);
      for (int i = 0; i < n; i++) {
        std::memcpy(&M.x0[(size_t)i * 2 * d], M.emb.w + (size_t)M.ia[i] * d, d * sizeof(float));
        std::memcpy(&M.x0[(size_t)i * 2 * d + d], M.emb.w + (size_t)M.ib[i] * d, d * sizeof(float));
      }
      in = M.x0.data();
    } else {
      // One-hot input: x·W₀ = W₀[a] + W₀[p + b].
      const int w = M.widths[1];
      const float* W = M.kernel[0].w;
      const float* b = M.bias[0].w;
      // With relu after it, straight into H[0] (relu′(z) is read from h > 0): one pass instead of two.
      const bool fused = M.act == RELU && L > 1;
      float* z = fused ? M.H[0].data() : M.Z[0].data();
      for (int i = 0; i < n; i++) {
        const float* ra = W + (size_t)M.ia[i] * w;
        const float* rb = W + (size_t)M.ib[i] * w;
        float* zi = z + (size_t)i * w;
        if (b) {
          for (int j = 0; j < w; j++) zi[j] = ra[j] + rb[j] + b[j];
        } else {
          for (int j = 0; j < w; j++) zi[j] = ra[j] + rb[j];
        }
        if (fused)
          for (int j = 0; j < w; j++) zi[j] = zi[j] > 0.f ? zi[j] : (zi[j] == zi[j] ? 0.f : zi[j]);
      }
      k0 = 1;
      reluDone = fused;
    }
  }
  M.in0 = in;
  for (int k = 0; k < L; k++) {
    const int w = M.widths[k + 1];
    float* z = M.Z[k].data();
    if (k >= k0) {
      const int d = M.widths[k];
      sgemm(n, w, d, in, d, 1, M.kernel[k].w, w, 1, z, w, false);
      if (const float* b = M.bias[k].w) {
        for (int i = 0; i < n; i++) {
          float* zi = z + (size_t)i * w;
          for (int j = 0; j < w; j++) zi[j] += b[j];
        }
      }
    }
    if (k + 1 < L && k == 0 && reluDone) {
      in = M.H[0].data();
    } else if (k + 1 < L) {
      float* h = M.H[k].data();
      const size_t cnt = (size_t)n * w;
      if (M.act == RELU) {
        for (size_t i = 0; i < cnt; i++) h[i] = z[i] > 0.f ? z[i] : (z[i] == z[i] ? 0.f : z[i]);
      } else {
        for (size_t i = 0; i < cnt; i++) h[i] = actF(M.act, z[i]);
      }
      in = h;
    }
  }

  // The loss on the output rows.
  Metrics out;
  const int c = M.widths[L];
  const float* o = M.Z[L - 1].data();
  if (grad) M.dA.resize((size_t)n * c);
  float* g = M.dA.data();
  const int32_t* lab = nullptr;
  const float* y = nullptr;
  if (rows) {
    if (s.labels) {
      M.labels.resize(n);
      for (int i = 0; i < n; i++) M.labels[i] = s.labels[rows[i]];
      lab = M.labels.data();
    }
    if (s.y) {
      M.y.resize((size_t)n * c);
      for (int i = 0; i < n; i++) std::memcpy(&M.y[(size_t)i * c], s.y + (size_t)rows[i] * c, c * sizeof(float));
      y = M.y.data();
    }
  } else {
    lab = s.labels;
    y = s.y;
  }
  long correct = 0;
  if (lab) {
    for (int i = 0; i < n; i++) {
      const float* oi = o + (size_t)i * c;
      int arg = 0;
      float mx = oi[0];
      for (int j = 1; j < c; j++)
        if (oi[j] > mx) mx = oi[j], arg = j;
      if (arg == lab[i]) correct++;
    }
  }
  out.correct = (double)correct;
  if (M.loss == CROSS_ENTROPY) {
    double total = 0;
    std::vector<float> e(c);
    const double invN = 1.0 / n;
    for (int i = 0; i < n; i++) {
      const float* oi = o + (size_t)i * c;
      float mx = oi[0];
      double finite = 0;
      for (int j = 0; j < c; j++) {
        mx = oi[j] > mx ? oi[j] : mx;
        finite += oi[j];
      }
      float* ei = grad ? g + (size_t)i * c : e.data();
      expRow(oi, mx, ei, c);
      double sum = 0;
      for (int j = 0; j < c; j++) sum += ei[j];
      const int yi = lab[i];
      total += (double)mx + std::log(sum) - (double)oi[yi];
      if (!std::isfinite(finite)) total = NAN;
      if (grad) {
        const float scale = (float)(invN / sum);
        for (int j = 0; j < c; j++) ei[j] *= scale;
        ei[yi] -= (float)invN;
      }
    }
    out.loss = total / n;
  } else {
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
  return out;
}

/** Column sums of an n × w matrix, added to acc. */
void colSum(const float* a, int n, int w, float* acc) {
  for (int i = 0; i < n; i++) {
    const float* ai = a + (size_t)i * w;
    for (int j = 0; j < w; j++) acc[j] += ai[j];
  }
}

/** Gradients of every trainable parameter from ∂loss/∂out in dA (after forward with grad). */
void backward(Model& M, int n) {
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
  std::vector<float>* dz = &M.dA;  // ∂/∂Z[k]
  std::vector<float>* dh = &M.dB;
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
          float* ra = gw + (size_t)M.ia[i] * w;
          float* rb = gw + (size_t)M.ib[i] * w;
          for (int j = 0; j < w; j++) ra[j] += src[j];
          for (int j = 0; j < w; j++) rb[j] += src[j];
        }
      }
      break;
    }
    const float* in = k == 0 ? M.in0 : M.H[k - 1].data();
    if (K.trainable) {
      // ∂W = inᵀ · ∂Z
      sgemm(d, w, n, in, 1, d, dzp, w, 1, K.g.data(), w, false);
    }
    // The input's gradient is needed only when a trainable parameter lies below this layer.
    if (!(k > lowest && (k > 0 || embTrain))) break;
    // ∂in = ∂Z · Wᵀ
    dh->resize((size_t)n * d);
    sgemm(n, d, w, dzp, w, 1, K.w, 1, w, dh->data(), d, false);
    if (k == 0) {
      // Embedding: ∂E[a] += ∂in[:, :d], ∂E[b] += ∂in[:, d:].
      const int e = M.embDim;
      std::fill(M.emb.g.begin(), M.emb.g.end(), 0.f);
      float* ge = M.emb.g.data();
      const float* src = dh->data();
      for (int i = 0; i < n; i++) {
        float* ra = ge + (size_t)M.ia[i] * e;
        float* rb = ge + (size_t)M.ib[i] * e;
        const float* si = src + (size_t)i * 2 * e;
        for (int j = 0; j < e; j++) ra[j] += si[j];
        for (int j = 0; j < e; j++) rb[j] += si[e + j];
      }
      break;
    }
    const float* z = M.Z[k - 1].data();
    const float* h = M.H[k - 1].data();
    float* g = dh->data();
    if (k == 1 && M.first == ONEHOT && M.act == RELU) {
      // The one-hot relu layer in one pass over ∂H₀: relu′ mask, the scatter-add into ∂W₀ and ∂b₀.
      Param& K0 = M.kernel[0];
      Param& B0 = M.bias[0];
      const bool gw = K0.trainable, gb = B0.w && B0.trainable;
      if (gw) std::fill(K0.g.begin(), K0.g.end(), 0.f);
      if (gb) std::fill(B0.g.begin(), B0.g.end(), 0.f);
      float* accB = gb ? B0.g.data() : nullptr;
      for (int i = 0; i < n; i++) {
        const float* gi = g + (size_t)i * d;
        const float* hi = h + (size_t)i * d;
        float* ra = K0.g.data() + (size_t)M.ia[i] * d;
        float* rb = K0.g.data() + (size_t)M.ib[i] * d;
        for (int j = 0; j < d; j++) {
          const float v = hi[j] > 0.f ? gi[j] : 0.f * gi[j];
          if (gw) ra[j] += v, rb[j] += v;
          if (gb) accB[j] += v;
        }
      }
      break;
    }
    // ∂Z[k-1] = ∂H[k-1] ⊙ act′(Z[k-1])
    const size_t cnt = (size_t)n * d;
    if (M.act == RELU) {
      // relu′ from h = relu(z): h > 0 exactly when z > 0 (Z[0] is not kept when the gather fused the relu).
      for (size_t i = 0; i < cnt; i++) g[i] = h[i] > 0.f ? g[i] : 0.f * g[i];
    } else {
      for (size_t i = 0; i < cnt; i++) g[i] *= actD(M.act, z[i], h[i]);
    }
    std::swap(dz, dh);
  }
}

double l2(const float* a, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += (double)a[i] * a[i];
  return std::sqrt(s);
}

void update(Model& M, Param& P, float lr) {
  if (!P.w || !P.trainable) return;
  float* w = P.w;
  float* m = P.m;
  float* v = P.v;
  const float* g0 = P.g.data();
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

void destroyModel(napi_env env, Model* M) {
  for (napi_ref r : M->refs) napi_delete_reference(env, r);
  M->refs.clear();
}

void finalize(napi_env env, void* data, void*) {
  Model* M = static_cast<Model*>(data);
  destroyModel(env, M);
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
  M->kernel.resize(L);
  M->bias.resize(L);
  M->Z.resize(L);
  M->H.resize(L);
  uint32_t np = 0;
  napi_get_array_length(env, argv[1], &np);
  const uint32_t expected = (M->first == EMBEDDING ? 1 : 0) + L * (M->hasBias ? 2 : 1);
  if (L < 1 || np != expected) {
    delete M;
    napi_throw_error(env, nullptr, "td_native: parameter list does not match the model description");
    return nullptr;
  }
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
    destroyModel(env, M);
    delete M;
    napi_throw_error(env, nullptr, "td_native: a parameter buffer has the wrong size");
    return nullptr;
  }
  napi_value ext;
  CHECK(napi_create_external(env, M, finalize, nullptr, &ext));
  return ext;
}

/** setSplit(model, slot, { n, x?, ia?, ib?, labels?, y? }) */
napi_value SetSplit(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Model* M = unwrap(env, argv[0]);
  int32_t slot;
  CHECK(napi_get_value_int32(env, argv[1], &slot));
  if (!M || slot < 0 || slot > 1) {
    napi_throw_error(env, nullptr, "td_native: bad model or split slot");
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

napi_value doubles(napi_env env, const std::vector<double>& v) {
  napi_value ab, arr;
  void* data;
  napi_create_arraybuffer(env, v.size() * sizeof(double), &data, &ab);
  std::memcpy(data, v.data(), v.size() * sizeof(double));
  napi_create_typedarray(env, napi_float64_array, v.size(), ab, 0, &arr);
  return arr;
}

/**
 * step(model, rows | null, lr, measure) → Float64Array [loss, correct, sse, ‖∇‖ per parameter…]: one optimizer
 * step on the training split (rows of it for a mini-batch). Gradient norms (Mlp.params order, 0 for frozen
 * parameters) only when `measure`.
 */
napi_value Step(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Model* M = unwrap(env, argv[0]);
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
  const Metrics m = forward(*M, s, rows, n, true);
  backward(*M, n);
  std::vector<double> out{m.loss, m.correct, m.sse};
  auto norm = [&](Param& P) {
    if (!P.w) return;
    out.push_back(measure && P.trainable ? l2(P.g.data(), P.size) : 0.0);
  };
  if (M->first == EMBEDDING) norm(M->emb);
  for (int k = 0; k < M->layers(); k++) {
    norm(M->kernel[k]);
    if (M->hasBias) norm(M->bias[k]);
  }
  M->t += 1;
  if (M->first == EMBEDDING) update(*M, M->emb, (float)lr);
  for (int k = 0; k < M->layers(); k++) {
    update(*M, M->kernel[k], (float)lr);
    update(*M, M->bias[k], (float)lr);
  }
  return doubles(env, out);
}

/** evaluate(model, slot) → Float64Array [loss, correct, sse] of the current weights on a whole split. */
napi_value Evaluate(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Model* M = unwrap(env, argv[0]);
  int32_t slot;
  CHECK(napi_get_value_int32(env, argv[1], &slot));
  const Split& s = M->splits[slot];
  const Metrics m = forward(*M, s, nullptr, s.n, false);
  return doubles(env, {m.loss, m.correct, m.sse});
}

/** hidden(model, slot) → Float32Array per hidden layer: its activations on the whole split (n × width). */
napi_value Hidden(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Model* M = unwrap(env, argv[0]);
  int32_t slot;
  CHECK(napi_get_value_int32(env, argv[1], &slot));
  const Split& s = M->splits[slot];
  forward(*M, s, nullptr, s.n, false);
  napi_value arr;
  CHECK(napi_create_array(env, &arr));
  for (int k = 0; k + 1 < M->layers(); k++) {
    const size_t cnt = (size_t)s.n * M->widths[k + 1];
    napi_value ab, ta;
    void* data;
    CHECK(napi_create_arraybuffer(env, cnt * sizeof(float), &data, &ab));
    std::memcpy(data, M->H[k].data(), cnt * sizeof(float));
    CHECK(napi_create_typedarray(env, napi_float32_array, cnt, ab, 0, &ta));
    CHECK(napi_set_element(env, arr, k, ta));
  }
  return arr;
}

/** release(model): drops the references to the JS buffers (the model must not be used afterwards). */
napi_value Release(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Model* M = unwrap(env, argv[0]);
  if (M) {
    destroyModel(env, M);
    for (auto& s : M->splits) s = Split();
    M->emb.w = nullptr;
    for (auto& p : M->kernel) p.w = nullptr;
    for (auto& p : M->bias) p.w = nullptr;
  }
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"create", nullptr, Create, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setSplit", nullptr, SetSplit, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"step", nullptr, Step, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"evaluate", nullptr, Evaluate, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"hidden", nullptr, Hidden, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"release", nullptr, Release, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  napi_value simd;
  napi_create_string_utf8(env, TD_AVX2 ? "AVX2+FMA" : "portable C++", NAPI_AUTO_LENGTH, &simd);
  napi_set_named_property(env, exports, "simd", simd);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
