//! The BERT encoder of an embedding model, run on the CPU with the `gemm` crate's
//! matrix kernels.
//!
//! Built for throughput on the shapes sentence embedding has (many short texts):
//! - **no padding**: the tokens of every text of a batch are laid one after another,
//!   so each linear layer is one matrix product over all the batch's real tokens and
//!   only attention, which mixes tokens, runs per text;
//! - **Q, K and V side by side**: their three products write the columns of one
//!   `tokens × 3H` matrix, so attention reads a token's q, k and v from one row;
//! - **a query's few tokens without packing**: `gemm` packs a weight matrix before
//!   each product, which a batch of passages amortizes and a query's dozen tokens
//!   cannot; products of up to `FEW_ROWS` rows read the weights in place (AVX2);
//! - **no copies between steps**: heads are read and written in place through
//!   strides, bias, residual, GELU and layer norm are applied to the product's output;
//! - **weights read in place** from the memory-mapped `model.safetensors` (a cold
//!   query touches only the pages it needs; of the word-embedding table, the largest
//!   tensor, only the rows of the tokens seen).
//!
//! The result equals the reference BERT (Hugging Face `BertModel`) up to float
//! rounding: the tests compare it with vectors made by sentence-transformers.

use std::fs::File;
use std::path::Path;

use gemm::{gemm, Parallelism};

use super::int8::{self, Int8};
use memmap2::Mmap;
use multiversion::multiversion;
use safetensors::{Dtype, SafeTensors};
use serde::Deserialize;

/// The fields of a BERT `config.json` the encoder uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    /// Width of a token vector.
    pub hidden_size: usize,
    /// Transformer layers.
    pub num_hidden_layers: usize,
    /// Attention heads per layer.
    pub num_attention_heads: usize,
    /// Width of the feed-forward layer.
    pub intermediate_size: usize,
    /// Positions the model has embeddings for.
    pub max_position_embeddings: usize,
    /// Layer norm epsilon.
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    /// The feed-forward activation (`gelu` is the exact, erf-based one).
    #[serde(default = "default_act")]
    pub hidden_act: String,
    /// Only `absolute` is supported.
    #[serde(default = "default_position_type")]
    pub position_embedding_type: String,
}

fn default_eps() -> f64 {
    1e-12
}

fn default_act() -> String {
    "gelu".into()
}

fn default_position_type() -> String {
    "absolute".into()
}

/// The feed-forward activation.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Activation {
    /// `x·Φ(x)`, with the error function.
    Gelu,
    /// The tanh approximation of GELU.
    GeluTanh,
    Relu,
}

/// A matrix of f32s, row-major: read in place from the mapped weights file where it
/// lies aligned there (a cold query touches only the pages it needs), else a copy.
enum Matrix {
    Mapped { start: usize, len: usize },
    Owned(Vec<f32>),
}

impl Matrix {
    /// The values, `map` being the weights file the matrix was read from.
    fn get<'a>(&'a self, map: &'a [u8]) -> &'a [f32] {
        match self {
            Matrix::Mapped { start, len } => bytemuck::cast_slice(&map[*start..*start + len * 4]),
            Matrix::Owned(values) => values,
        }
    }

    fn len(&self) -> usize {
        match self {
            Matrix::Mapped { len, .. } => *len,
            Matrix::Owned(values) => values.len(),
        }
    }
}

/// A linear layer, `y = x·Wᵀ + b`, with `W` kept row-major as `out × in`.
struct Linear {
    w: Matrix,
    b: Vec<f32>,
    inputs: usize,
    outputs: usize,
}

impl Linear {
    /// `y[m × outputs] = x[m × inputs]·Wᵀ + b (+ residual)`, `x` row-major and dense,
    /// row `i` of `y` starting at `y[i·y_stride]` (several layers can write side by
    /// side columns of one matrix), `map` the weights file.
    ///
    /// A residual (`m × outputs`, dense) is added to the bias before the product
    /// accumulates onto them: one pass over `y` fewer than adding it after.
    #[allow(clippy::too_many_arguments)]
    fn forward(
        &self,
        map: &[u8],
        x: &[f32],
        m: usize,
        residual: Option<&[f32]>,
        y: &mut [f32],
        y_stride: usize,
        par: Parallelism,
    ) {
        if m == 0 {
            return;
        }
        let w = self.w.get(map);
        assert!(x.len() >= m * self.inputs && y_stride >= self.outputs);
        assert!(y.len() >= (m - 1) * y_stride + self.outputs);
        assert_eq!(w.len(), self.inputs * self.outputs);
        self.start(y, m, residual, y_stride);
        if m <= FEW_ROWS && few_rows::available() {
            let n = self.outputs;
            let threads = match par {
                Parallelism::Rayon(n) => n.max(1),
                _ => 1,
            };
            // Each thread takes a band of the outputs (a multiple of 4 wide).
            let parts = threads.min(n / 64).max(1);
            let y = OutPtr(y.as_mut_ptr());
            let band = |part: usize| {
                let (start, end) = ((n * part / parts) & !3, (n * (part + 1) / parts) & !3);
                let end = if part + 1 == parts { n } else { end };
                // SAFETY: checked above; the instructions were detected; the bands of
                // the outputs do not overlap.
                unsafe { few_rows::product(x, m, self.inputs, w, start..end, y.get(), y_stride) }
            };
            if parts == 1 {
                band(0);
            } else {
                use rayon::prelude::*;
                (0..parts).into_par_iter().for_each(band);
            }
            return;
        }
        // SAFETY: every pointer covers the m × k, k × n and m × n elements the strides
        // reach (checked above), `y` does not overlap `x` or `W`.
        unsafe {
            gemm(
                m,
                self.outputs,
                self.inputs,
                y.as_mut_ptr(),
                1,
                y_stride as isize,
                true,
                x.as_ptr(),
                1,
                self.inputs as isize,
                w.as_ptr(),
                self.inputs as isize,
                1,
                1.0,
                1.0,
                false,
                false,
                false,
                par,
            );
        }
    }
}

impl Linear {
    /// Writes the bias, plus the residual (`m × outputs`, dense) when there is one,
    /// into the `m` rows of `y` that the product then accumulates onto: one pass over
    /// `y` fewer than adding the residual after.
    fn start(&self, y: &mut [f32], m: usize, residual: Option<&[f32]>, y_stride: usize) {
        let n = self.outputs;
        assert!(m == 0 || y.len() >= (m - 1) * y_stride + n);
        match residual {
            Some(r) => {
                assert!(r.len() >= m * n);
                for (row, r) in r.chunks_exact(n).take(m).enumerate() {
                    let out = &mut y[row * y_stride..row * y_stride + n];
                    for ((o, b), r) in out.iter_mut().zip(&self.b).zip(r) {
                        *o = b + r;
                    }
                }
            }
            None => {
                for row in 0..m {
                    y[row * y_stride..row * y_stride + n].copy_from_slice(&self.b);
                }
            }
        }
    }
}

/// The output matrix of a product shared by the threads that write its bands.
#[derive(Clone, Copy)]
struct OutPtr(*mut f32);

// SAFETY: the threads of one product write disjoint columns of the rows.
unsafe impl Send for OutPtr {}
unsafe impl Sync for OutPtr {}

impl OutPtr {
    fn get(self) -> *mut f32 {
        self.0
    }
}

/// Products of at most this many token rows (a query's) read the weights as they
/// are stored, with [`few_rows::product`]: `gemm` first packs the whole weight
/// matrix into its own layout, which for a few rows costs as much as the product.
const FEW_ROWS: usize = 64;

/// The matrix product of a few rows by a weight matrix kept row-major as
/// `outputs × inputs`: each output is a dot product of two contiguous rows, so the
/// weights are read once, in place, with no packing.
#[cfg(target_arch = "x86_64")]
mod few_rows {
    use std::arch::x86_64::*;

    /// Whether this CPU has the instructions [`product`] uses (AVX2 and FMA).
    pub fn available() -> bool {
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
    }

    /// `y[i·y_stride + o] += Σ_j x[i·k + j]·w[o·k + j]` for rows `i < m` and the
    /// outputs `o` of `outputs`.
    ///
    /// # Safety
    /// AVX2 and FMA are available; `x` holds `m × k` values, `w` `outputs.end × k`,
    /// and `y` points to `(m − 1)·y_stride + outputs.end` values, writable in the
    /// columns of `outputs`, that overlap neither.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn product(
        x: &[f32],
        m: usize,
        k: usize,
        w: &[f32],
        outputs: std::ops::Range<usize>,
        y: *mut f32,
        y_stride: usize,
    ) {
        debug_assert!(x.len() >= m * k && w.len() >= outputs.end * k);
        let at = Tile {
            x,
            k,
            w,
            y,
            y_stride,
        };
        let (mut o, n) = (outputs.start, outputs.end);
        while o + 4 <= n {
            at.rows::<4>(m, o);
            o += 4;
        }
        while o < n {
            at.rows::<1>(m, o);
            o += 1;
        }
    }

    /// The operands of [`product`].
    struct Tile<'a> {
        x: &'a [f32],
        k: usize,
        w: &'a [f32],
        y: *mut f32,
        y_stride: usize,
    }

    impl Tile<'_> {
        /// Outputs `o..o + C` of every row: the `C` weight rows are read from memory
        /// once and from cache for the other rows.
        #[target_feature(enable = "avx2,fma")]
        unsafe fn rows<const C: usize>(&self, m: usize, o: usize) {
            let mut i = 0;
            while i + 2 <= m {
                self.tile::<2, C>(i, o);
                i += 2;
            }
            if i < m {
                self.tile::<1, C>(i, o);
            }
        }

        /// Outputs `o..o + C` of rows `i..i + R`, with `R × C` vector accumulators.
        #[target_feature(enable = "avx2,fma")]
        #[inline]
        unsafe fn tile<const R: usize, const C: usize>(&self, i: usize, o: usize) {
            let k = self.k;
            let x = self.x.as_ptr().add(i * k);
            let w = self.w.as_ptr().add(o * k);
            let mut acc = [[_mm256_setzero_ps(); C]; R];
            let body = k - k % 8;
            let mut j = 0;
            while j < body {
                let mut wv = [_mm256_setzero_ps(); C];
                for (c, v) in wv.iter_mut().enumerate() {
                    *v = _mm256_loadu_ps(w.add(c * k + j));
                }
                for (r, row) in acc.iter_mut().enumerate() {
                    let xv = _mm256_loadu_ps(x.add(r * k + j));
                    for (a, v) in row.iter_mut().zip(&wv) {
                        *a = _mm256_fmadd_ps(xv, *v, *a);
                    }
                }
                j += 8;
            }
            for (r, row) in acc.iter().enumerate() {
                for (c, a) in row.iter().enumerate() {
                    let mut sum = sum8(*a);
                    for t in body..k {
                        sum += *x.add(r * k + t) * *w.add(c * k + t);
                    }
                    *self.y.add((i + r) * self.y_stride + o + c) += sum;
                }
            }
        }
    }

    /// The sum of the eight lanes.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn sum8(v: __m256) -> f32 {
        let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
        _mm_cvtss_f32(s)
    }
}

/// Elsewhere the products go to `gemm`.
#[cfg(not(target_arch = "x86_64"))]
mod few_rows {
    pub fn available() -> bool {
        false
    }

    pub unsafe fn product(
        _: &[f32],
        _: usize,
        _: usize,
        _: &[f32],
        _: std::ops::Range<usize>,
        _: *mut f32,
        _: usize,
    ) {
        unreachable!("few_rows::available() is false")
    }
}

/// A layer norm's scale and shift.
struct Norm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

impl Norm {
    /// Normalizes each row of `x` (rows of `gamma.len()` values) in place.
    fn apply(&self, x: &mut [f32], eps: f32) {
        layer_norm(x, &self.gamma, &self.beta, eps);
    }
}

/// `x ← (x − mean)/√(var + eps)·gamma + beta`, for each row of `x`.
#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma", "aarch64+neon"))]
fn layer_norm(x: &mut [f32], gamma: &[f32], beta: &[f32], eps: f32) {
    let n = gamma.len();
    for row in x.chunks_exact_mut(n) {
        let mean = sum(row) / n as f32;
        let var = sum_of(row, |v| (v - mean) * (v - mean)) / n as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, g), b) in row.iter_mut().zip(gamma).zip(beta) {
            *v = (*v - mean) * inv * g + b;
        }
    }
}

struct Layer {
    /// Query, key and value, written side by side into one `tokens × 3H` matrix.
    qkv: [Linear; 3],
    attention_out: Linear,
    attention_norm: Norm,
    intermediate: Linear,
    output: Linear,
    output_norm: Norm,
    /// The products in int8, after [`Bert::quantize`].
    int8: Option<Int8Layer>,
}

/// A layer's weights quantized to int8 ([`int8::Weights`]); the biases stay those of
/// the f32 layers.
struct Int8Layer {
    /// Q, K and V as one product of `3H` outputs.
    qkv: int8::Weights,
    attention_out: int8::Weights,
    intermediate: int8::Weights,
    output: int8::Weights,
}

/// The head of a sequence-classification model: `tanh(pooler(first token))`, then
/// the classifier's one output.
struct Head {
    pooler: Linear,
    classifier: Linear,
}

/// A loaded BERT encoder.
pub struct Bert {
    /// The mapped weights file: the word embeddings are read from it per token.
    map: Mmap,
    /// The word-embedding table, `vocabulary × hidden`.
    words: Matrix,
    positions: Matrix,
    /// The token-type table, `types × hidden`: a sentence is all type 0; a
    /// cross-encoder's pair is type 0 for the question, 1 for the passage.
    token_types: Vec<f32>,
    embedding_norm: Norm,
    /// The pooler and classifier of a sequence-classification model (a
    /// cross-encoder), when the weights have them.
    head: Option<Head>,
    layers: Vec<Layer>,
    hidden: usize,
    heads: usize,
    intermediate: usize,
    max_positions: usize,
    eps: f32,
    activation: Activation,
    /// Buffers of finished passes, for the next ones.
    buffers: std::sync::Mutex<Vec<Buffers>>,
}

/// Buffers of a forward pass, kept between passes in [`Bert::buffers`] (resized to
/// each pass's tokens, never freed): a batch of passages needs tens of MB, and
/// allocating them afresh for every batch costs page faults and, with the
/// allocator's per-thread arenas, left GBs of freed memory held while indexing.
#[derive(Default)]
struct Buffers {
    x: Vec<f32>,
    qkv: Vec<f32>,
    context: Vec<f32>,
    tmp: Vec<f32>,
    /// The feed-forward's inner activations of the tokens it runs together.
    inner: Vec<f32>,
    scores: Vec<f32>,
    /// The buffers of the int8 products, when the layers are quantized.
    int8: int8::Scratch,
}

impl Buffers {
    /// Sizes the buffers for a pass (their contents are overwritten before being read).
    fn fit(&mut self, tokens: usize, hidden: usize, inner: usize, longest: usize) {
        self.x.resize(tokens * hidden, 0.0);
        self.qkv.resize(tokens * 3 * hidden, 0.0);
        self.context.resize(tokens * hidden, 0.0);
        self.tmp.resize(tokens * hidden, 0.0);
        self.inner.resize(inner, 0.0);
        self.scores.resize(longest * longest, 0.0);
    }
}

/// Tokens whose feed-forward runs together in int8: the inner activations of this
/// many (`× intermediate` floats, 768 KB for MiniLM) stay in the core's L2 cache
/// between their product, the activation and the next product, where a batch's all
/// (25 MB for 32 passages of 128 tokens) went to memory and back at each step. In
/// f32 the feed-forward runs over all tokens at once: `gemm` packs the weights at each
/// product, which smaller products would repeat (1.2× slower at 128 tokens).
const FEED_FORWARD_ROWS: usize = 128;

/// Buffers kept for later passes: one per thread that runs passes side by side.
const KEPT_BUFFERS: usize = 8;

impl Bert {
    /// Loads the encoder from `weights` (safetensors, f32) as `config` describes it.
    pub fn load(weights: &Path, config: &Config) -> Result<Bert, String> {
        let activation = match config.hidden_act.as_str() {
            "gelu" | "gelu_python" => Activation::Gelu,
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Activation::GeluTanh,
            "relu" => Activation::Relu,
            other => return Err(format!("config.json asks for activation {other:?}")),
        };
        if config.position_embedding_type != "absolute" {
            return Err(format!(
                "config.json asks for {:?} position embeddings; only absolute ones are supported",
                config.position_embedding_type
            ));
        }
        if config.num_attention_heads == 0
            || !config
                .hidden_size
                .is_multiple_of(config.num_attention_heads)
        {
            return Err("config.json: hidden_size is not a multiple of the heads".into());
        }
        let file = File::open(weights).map_err(|e| format!("cannot open it: {e}"))?;
        // SAFETY: the file is mapped read-only and k2search never writes it; every
        // tensor's bounds are checked by `SafeTensors::deserialize` against its size.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| format!("cannot map it: {e}"))?;
        let tensors = SafeTensors::deserialize(&map).map_err(|e| e.to_string())?;
        let h = config.hidden_size;
        let reader = Reader {
            tensors: &tensors,
            map: &map,
            base: map.as_ptr() as usize,
        };
        let words = reader.rows("embeddings.word_embeddings.weight", h)?;
        let positions = reader.matrix(
            "embeddings.position_embeddings.weight",
            config.max_position_embeddings,
            h,
        )?;
        let token_types = reader
            .rows("embeddings.token_type_embeddings.weight", h)?
            .get(&map)
            .to_vec();
        if token_types.is_empty() {
            return Err("no token type embedding".into());
        }
        let head = match (
            reader.get("pooler.dense.weight"),
            reader.get("classifier.weight"),
        ) {
            (Ok(_), Ok(_)) => Some(Head {
                pooler: reader.linear("pooler.dense", h, h)?,
                classifier: reader.linear("classifier", 1, h)?,
            }),
            _ => None,
        };
        let embedding_norm = reader.norm("embeddings.LayerNorm", h)?;
        let layers = (0..config.num_hidden_layers)
            .map(|i| reader.layer(&format!("encoder.layer.{i}"), config))
            .collect::<Result<Vec<_>, String>>()?;
        drop(tensors);
        Ok(Bert {
            map,
            words,
            positions,
            token_types,
            embedding_norm,
            head,
            layers,
            hidden: h,
            heads: config.num_attention_heads,
            intermediate: config.intermediate_size,
            max_positions: config.max_position_embeddings,
            eps: config.layer_norm_eps as f32,
            activation,
            buffers: Default::default(),
        })
    }

    /// Reads a value of every page of the layers' weights, so that the first forward
    /// pass does not stop on page faults (the word embeddings are left alone: a
    /// text reads only its tokens' rows). For a thread that has nothing else to do.
    pub fn prefault(&self) {
        let map = &self.map[..];
        let mut sum = 0f32;
        for layer in &self.layers {
            let linears = layer.qkv.iter();
            let linears = linears.chain([&layer.attention_out, &layer.intermediate, &layer.output]);
            for linear in linears {
                sum += linear.w.get(map).iter().step_by(1024).sum::<f32>();
            }
        }
        std::hint::black_box(sum);
    }

    /// Runs the layers' matrix products in int8 from now on (`src/embed/int8.rs`): faster, and
    /// the vectors differ from f32's slightly (see BENCHMARKS.md, "Indexing with a
    /// model"). Fails, leaving the encoder in f32, on a CPU whose int8 kernel is not
    /// exact.
    pub fn quantize(&mut self) -> Result<(), String> {
        let kernels = Int8::new()?;
        let map = &self.map[..];
        let weights = |l: &Linear| kernels.weights(l.w.get(map), l.inputs, l.outputs);
        for layer in &mut self.layers {
            let [q, k, v] = &layer.qkv;
            let qkv: Vec<f32> = [q, k, v]
                .iter()
                .flat_map(|l| l.w.get(map).iter().copied())
                .collect();
            layer.int8 = Some(Int8Layer {
                qkv: kernels.weights(&qkv, q.inputs, 3 * q.outputs),
                attention_out: weights(&layer.attention_out),
                intermediate: weights(&layer.intermediate),
                output: weights(&layer.output),
            });
        }
        Ok(())
    }

    /// Tokens whose feed-forward runs together ([`FEED_FORWARD_ROWS`]).
    fn feed_forward_rows(&self, tokens: usize, int8: bool) -> usize {
        if int8 {
            tokens.min(FEED_FORWARD_ROWS)
        } else {
            tokens
        }
    }

    /// The int8 kernels when the layers are quantized.
    fn int8_kernels(&self) -> Option<Int8> {
        self.layers.first()?.int8.as_ref()?;
        Int8::new().ok()
    }

    /// Runs the encoder over `sequences` and gives `read` the last layer's token
    /// vectors, all sequences' rows one after another (`Σ len × hidden`).
    pub fn forward<R>(
        &self,
        sequences: &[&[u32]],
        par: Parallelism,
        read: impl FnOnce(&[f32]) -> R,
    ) -> R {
        self.forward_segments(sequences, None, par, read)
    }

    /// Whether the weights have a classification head ([`Bert::classify`]).
    pub fn has_head(&self) -> bool {
        self.head.is_some()
    }

    /// Runs the encoder over pairs and gives each its classifier's score: sequence
    /// `i` is the pair's two texts, the second starting at token `second[i]` (token
    /// type 1 from there on), and its score is `classifier(tanh(pooler(first token)))`
    /// (Hugging Face `BertForSequenceClassification`, one label). `None` when the
    /// weights have no head.
    pub fn classify(
        &self,
        sequences: &[&[u32]],
        second: &[usize],
        par: Parallelism,
    ) -> Option<Vec<f32>> {
        let head = self.head.as_ref()?;
        let h = self.hidden;
        let map = &self.map[..];
        let firsts: Vec<f32> = self.forward_segments(sequences, Some(second), par, |rows| {
            let mut firsts = Vec::with_capacity(sequences.len() * h);
            let mut start = 0;
            for ids in sequences {
                firsts.extend_from_slice(&rows[start * h..(start + 1) * h]);
                start += ids.len();
            }
            firsts
        });
        let n = sequences.len();
        let mut pooled = vec![0f32; n * h];
        head.pooler
            .forward(map, &firsts, n, None, &mut pooled, h, Parallelism::None);
        pooled.iter_mut().for_each(|v| *v = v.tanh());
        let (w, b) = (head.classifier.w.get(map), head.classifier.b[0]);
        Some(
            pooled
                .chunks_exact(h)
                .map(|p| b + p.iter().zip(w).map(|(p, w)| p * w).sum::<f32>())
                .collect(),
        )
    }

    /// [`Bert::forward`], sequence `i`'s tokens from `second[i]` on of token type 1
    /// when `second` is given.
    fn forward_segments<R>(
        &self,
        sequences: &[&[u32]],
        second: Option<&[usize]>,
        par: Parallelism,
        read: impl FnOnce(&[f32]) -> R,
    ) -> R {
        let h = self.hidden;
        let tokens: usize = sequences.iter().map(|s| s.len()).sum();
        let longest = sequences.iter().map(|s| s.len()).max().unwrap_or(0);
        let kept = |pool: std::sync::LockResult<_>| {
            pool.unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        let mut s = kept(self.buffers.lock()).pop().unwrap_or_default();
        let kernels = self.int8_kernels();
        let inner = self.feed_forward_rows(tokens, kernels.is_some()) * self.intermediate;
        s.fit(tokens, h, inner, longest);
        self.embed_tokens(sequences, second, &mut s.x);
        for layer in &self.layers {
            self.layer(layer, sequences, tokens, &mut s, kernels.as_ref(), par);
        }
        let out = read(&s.x);
        let mut pool = kept(self.buffers.lock());
        if pool.len() < KEPT_BUFFERS {
            pool.push(s);
        }
        out
    }

    /// Word + position + token-type embeddings, normalized: sequence `i`'s tokens
    /// from `second[i]` on are of type 1 (when the table has it), the others of type 0.
    fn embed_tokens(&self, sequences: &[&[u32]], second: Option<&[usize]>, x: &mut [f32]) {
        let h = self.hidden;
        let words = self.words.get(&self.map);
        let positions = self.positions.get(&self.map);
        let rows = words.len() / h;
        let types = self.token_types.len() / h;
        let mut row = 0;
        for (i, ids) in sequences.iter().enumerate() {
            let second = second.and_then(|s| s.get(i).copied()).unwrap_or(ids.len());
            for (position, &id) in ids.iter().enumerate() {
                let kind = usize::from(position >= second).min(types - 1);
                let token_type = &self.token_types[kind * h..(kind + 1) * h];
                let out = &mut x[row * h..(row + 1) * h];
                // An id past the table (a tokenizer of another model) reads row 0.
                let id = if (id as usize) < rows { id as usize } else { 0 };
                let word = &words[id * h..(id + 1) * h];
                let position = position.min(self.max_positions - 1);
                let pos = &positions[position * h..(position + 1) * h];
                for (((o, w), p), t) in out.iter_mut().zip(word).zip(pos).zip(token_type) {
                    *o = w + p + t;
                }
                row += 1;
            }
        }
        self.embedding_norm.apply(x, self.eps);
    }

    fn layer(
        &self,
        layer: &Layer,
        sequences: &[&[u32]],
        tokens: usize,
        s: &mut Buffers,
        kernels: Option<&Int8>,
        par: Parallelism,
    ) {
        let h = self.hidden;
        let map = &self.map[..];
        let int8 = kernels.zip(layer.int8.as_ref());
        match int8 {
            Some((kernels, q)) => {
                for (part, linear) in layer.qkv.iter().enumerate() {
                    linear.start(&mut s.qkv[part * h..], tokens, None, 3 * h);
                }
                kernels.add_product(&q.qkv, &s.x, tokens, &mut s.qkv, 3 * h, &mut s.int8);
            }
            None => {
                for (part, linear) in layer.qkv.iter().enumerate() {
                    linear.forward(map, &s.x, tokens, None, &mut s.qkv[part * h..], 3 * h, par);
                }
            }
        }
        self.attention(sequences, &s.qkv, &mut s.context, &mut s.scores);
        let out = &layer.attention_out;
        match int8 {
            Some((kernels, q)) => {
                out.start(&mut s.tmp, tokens, Some(&s.x), h);
                let product = &q.attention_out;
                kernels.add_product(product, &s.context, tokens, &mut s.tmp, h, &mut s.int8);
            }
            None => out.forward(map, &s.context, tokens, Some(&s.x), &mut s.tmp, h, par),
        }
        layer.attention_norm.apply(&mut s.tmp, self.eps);
        std::mem::swap(&mut s.x, &mut s.tmp);
        let width = self.intermediate;
        let rows = self.feed_forward_rows(tokens, int8.is_some());
        for first in (0..tokens).step_by(rows.max(1)) {
            let m = rows.min(tokens - first);
            let x = &s.x[first * h..(first + m) * h];
            let inner = &mut s.inner[..m * width];
            let y = &mut s.tmp[first * h..(first + m) * h];
            match int8 {
                Some((kernels, q)) => {
                    layer.intermediate.start(inner, m, None, width);
                    kernels.add_product(&q.intermediate, x, m, inner, width, &mut s.int8);
                    activate(self.activation, inner);
                    layer.output.start(y, m, Some(x), h);
                    kernels.add_product(&q.output, inner, m, y, h, &mut s.int8);
                }
                None => {
                    layer
                        .intermediate
                        .forward(map, x, m, None, inner, width, par);
                    activate(self.activation, inner);
                    layer.output.forward(map, inner, m, Some(x), y, h, par);
                }
            }
            layer.output_norm.apply(y, self.eps);
        }
        std::mem::swap(&mut s.x, &mut s.tmp);
    }

    /// Self-attention of each sequence on its own: `context = softmax(Q·Kᵀ/√d)·V` per
    /// head, read from and written to the token rows through strides.
    fn attention(
        &self,
        sequences: &[&[u32]],
        qkv: &[f32],
        context: &mut [f32],
        scores: &mut [f32],
    ) {
        let h = self.hidden;
        let d = h / self.heads;
        let scale = 1.0 / (d as f32).sqrt();
        let mut start = 0;
        for ids in sequences {
            let len = ids.len();
            for head in 0..self.heads {
                let q = qkv[start * 3 * h + head * d..].as_ptr();
                let k = qkv[start * 3 * h + h + head * d..].as_ptr();
                let v = qkv[start * 3 * h + 2 * h + head * d..].as_ptr();
                let out = context[start * h + head * d..].as_mut_ptr();
                let scores = &mut scores[..len * len];
                // SAFETY: rows start..start+len of `qkv` (3h wide) and `context` (h
                // wide) hold this sequence; each head reads and writes d columns of
                // them, `scores` is len × len.
                unsafe {
                    gemm(
                        len,
                        len,
                        d,
                        scores.as_mut_ptr(),
                        1,
                        len as isize,
                        false,
                        q,
                        1,
                        3 * h as isize,
                        k,
                        3 * h as isize,
                        1,
                        0.0,
                        scale,
                        false,
                        false,
                        false,
                        Parallelism::None,
                    );
                }
                for row in scores.chunks_exact_mut(len) {
                    softmax(row);
                }
                // SAFETY: as above.
                unsafe {
                    gemm(
                        len,
                        d,
                        len,
                        out,
                        1,
                        h as isize,
                        false,
                        scores.as_ptr(),
                        1,
                        len as isize,
                        v,
                        1,
                        3 * h as isize,
                        0.0,
                        1.0,
                        false,
                        false,
                        false,
                        Parallelism::None,
                    );
                }
            }
            start += len;
        }
    }
}

/// `row ← softmax(row)`.
#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma", "aarch64+neon"))]
fn softmax(row: &mut [f32]) {
    let max = lanes(row, f32::NEG_INFINITY, |v| v, f32::max);
    for v in row.iter_mut() {
        *v = exp(*v - max);
    }
    let inv = 1.0 / sum(row);
    for v in row.iter_mut() {
        *v *= inv;
    }
}

/// The sum of the values, in [`LANES`] partial sums that vectorize (a sum in one
/// accumulator is a chain of dependent additions that the compiler must keep in order).
#[inline(always)]
fn sum(values: &[f32]) -> f32 {
    sum_of(values, |v| v)
}

/// The sum of `f(v)` over the values, as [`sum`].
#[inline(always)]
fn sum_of(values: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    lanes(values, 0.0, f, |a, b| a + b)
}

/// Partial results in a vector's width: the SIMD registers of AVX-512 hold 16 f32s.
const LANES: usize = 16;

/// `values` mapped by `f` and folded by `combine` (associative, with `identity`), in
/// [`LANES`] independent accumulators folded at the end.
#[inline(always)]
fn lanes(
    values: &[f32],
    identity: f32,
    f: impl Fn(f32) -> f32,
    combine: impl Fn(f32, f32) -> f32,
) -> f32 {
    let mut acc = [identity; LANES];
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (a, v) in acc.iter_mut().zip(chunk) {
            *a = combine(*a, f(*v));
        }
    }
    for (a, v) in acc.iter_mut().zip(rest) {
        *a = combine(*a, f(*v));
    }
    acc.into_iter().fold(identity, combine)
}

/// Applies the activation to every value, in place.
fn activate(activation: Activation, x: &mut [f32]) {
    match activation {
        Activation::Gelu => gelu(x),
        Activation::GeluTanh => gelu_tanh(x),
        Activation::Relu => x.iter_mut().for_each(|v| *v = v.max(0.0)),
    }
}

/// `x·Φ(x) = x·(1 + erf(x/√2))/2`.
#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma", "aarch64+neon"))]
fn gelu(x: &mut [f32]) {
    for v in x.iter_mut() {
        *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
    }
}

/// GELU's tanh approximation, `x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))/2`, with
/// `1 + tanh(u) = 2/(1 + e^(−2u))`.
#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma", "aarch64+neon"))]
fn gelu_tanh(x: &mut [f32]) {
    const C: f32 = 0.797_884_6; // √(2/π)
    for v in x.iter_mut() {
        let u = C * (*v + 0.044_715 * *v * *v * *v);
        *v *= 1.0 / (1.0 + exp(-2.0 * u));
    }
}

/// The error function, by Abramowitz and Stegun's 7.1.26 (absolute error below
/// 1.5e-7 in exact arithmetic, below 5e-7 in f32 with or without FMA), written without branches so that
/// loops over it vectorize.
#[inline(always)]
fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = t
        * (0.254_829_6
            + t * (-0.284_496_74 + t * (1.421_413_7 + t * (-1.453_152 + t * 1.061_405_4))));
    (1.0 - poly * exp(-a * a)).copysign(x)
}

/// `e^x` for f32, to about 1 ulp over the range where it is finite and normal (below
/// −87, and for NaN, it gives about 0, above 88 about 3e38), without branches so that
/// loops over it vectorize: `e^x = 2^k·e^r` with `k = round(x/ln 2)`, `|r| ≤ ln 2/2`, and `e^r` by
/// its Taylor series to degree 7 (error below 1e-8).
#[inline(always)]
fn exp(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    // Clamped by comparisons, which are false for NaN: NaN becomes −87 (e^x about 0).
    let x = if x > -87.0 { x } else { -87.0 };
    let x = if x < 88.0 { x } else { 88.0 };
    let k = (x * std::f32::consts::LOG2_E).round();
    let r = x - k * LN2_HI - k * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r / 5040.0))))));
    // SAFETY: `x` is within −87..=88, so `k` is a whole number within −126..=127: it fits an
    // i32. (`k as i32` would be a saturating conversion, done one value at a time.)
    let k = unsafe { k.to_int_unchecked::<i32>() };
    p * f32::from_bits(((k + 127) as u32) << 23)
}

/// Reads named tensors of a safetensors file as f32.
struct Reader<'a> {
    tensors: &'a SafeTensors<'a>,
    /// The mapped file the tensors are in.
    map: &'a [u8],
    base: usize,
}

impl Reader<'_> {
    /// The tensor `name`, or `bert.name` (models saved from `BertForX` classes).
    fn get(&self, name: &str) -> Result<safetensors::tensor::TensorView<'_>, String> {
        self.tensors
            .tensor(name)
            .or_else(|_| self.tensors.tensor(&format!("bert.{name}")))
            .map_err(|_| format!("has no tensor {name}"))
            .and_then(|t| {
                if t.dtype() == Dtype::F32 {
                    Ok(t)
                } else {
                    Err(format!("tensor {name} is {:?}, not F32", t.dtype()))
                }
            })
    }

    /// A tensor of rows of `width` values: mapped where it is aligned, else copied.
    fn rows(&self, name: &str, width: usize) -> Result<Matrix, String> {
        let t = self.get(name)?;
        let shape = t.shape();
        if shape.last() != Some(&width) || shape.len() > 2 {
            return Err(format!(
                "tensor {name} has shape {shape:?}, not [_, {width}]"
            ));
        }
        let data = t.data();
        let start = data.as_ptr() as usize - self.base;
        if cfg!(target_endian = "little") && (data.as_ptr() as usize).is_multiple_of(4) {
            Ok(Matrix::Mapped {
                start,
                len: data.len() / 4,
            })
        } else {
            Ok(Matrix::Owned(
                data.chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect(),
            ))
        }
    }

    fn matrix(&self, name: &str, rows: usize, cols: usize) -> Result<Matrix, String> {
        let m = self.rows(name, cols)?;
        if m.len() != rows * cols {
            return Err(format!("tensor {name} does not have {rows} rows"));
        }
        Ok(m)
    }

    /// A vector, copied.
    fn vector(&self, name: &str, len: usize) -> Result<Vec<f32>, String> {
        Ok(self.matrix(name, 1, len)?.get(self.map).to_vec())
    }

    fn norm(&self, prefix: &str, width: usize) -> Result<Norm, String> {
        let get = |a: &str, b: &str| {
            self.vector(&format!("{prefix}.{a}"), width)
                .or_else(|_| self.vector(&format!("{prefix}.{b}"), width))
        };
        Ok(Norm {
            gamma: get("weight", "gamma")?,
            beta: get("bias", "beta")?,
        })
    }

    fn linear(&self, prefix: &str, outputs: usize, inputs: usize) -> Result<Linear, String> {
        Ok(Linear {
            w: self.matrix(&format!("{prefix}.weight"), outputs, inputs)?,
            b: self.vector(&format!("{prefix}.bias"), outputs)?,
            inputs,
            outputs,
        })
    }

    fn layer(&self, prefix: &str, config: &Config) -> Result<Layer, String> {
        let h = config.hidden_size;
        let i = config.intermediate_size;
        let part = |name: &str| self.linear(&format!("{prefix}.attention.self.{name}"), h, h);
        Ok(Layer {
            qkv: [part("query")?, part("key")?, part("value")?],
            attention_out: self.linear(&format!("{prefix}.attention.output.dense"), h, h)?,
            attention_norm: self.norm(&format!("{prefix}.attention.output.LayerNorm"), h)?,
            intermediate: self.linear(&format!("{prefix}.intermediate.dense"), i, h)?,
            output: self.linear(&format!("{prefix}.output.dense"), h, i)?,
            output_norm: self.norm(&format!("{prefix}.output.LayerNorm"), h)?,
            int8: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{erf, exp};

    /// erf by its Maclaurin series in f64 (exact enough below |x| = 4).
    fn erf_reference(x: f64) -> f64 {
        let (mut term, mut sum) = (x, x);
        for n in 1..200 {
            term *= -x * x / n as f64;
            sum += term / (2 * n + 1) as f64;
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn erf_is_within_five_parts_in_ten_million() {
        for i in -4000..=4000 {
            let x = i as f64 / 1000.0;
            let got = erf(x as f32) as f64;
            let want = erf_reference(x);
            assert!((got - want).abs() < 5e-7, "erf({x}) = {got}, not {want}");
        }
        assert_eq!(erf(10.0), 1.0);
        assert_eq!(erf(-10.0), -1.0);
    }

    #[test]
    fn exp_is_within_a_few_ulps() {
        for i in -8700..=8800 {
            let x = i as f32 / 100.0;
            let got = exp(x) as f64;
            let want = (x as f64).exp();
            assert!(
                ((got - want) / want).abs() < 5e-7,
                "exp({x}) = {got}, not {want}"
            );
        }
        assert!(exp(-1000.0) < 1e-37);
        assert!(exp(1000.0).is_finite());
        assert!(exp(f32::NAN) < 1e-37);
        assert!(exp(f32::NEG_INFINITY) < 1e-37 && exp(f32::INFINITY).is_finite());
    }

    #[test]
    fn softmax_sums_to_one_and_keeps_order() {
        let mut row = [1.0f32, 3.0, -2.0, 3.0, 80.0, -80.0];
        super::softmax(&mut row);
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(row[4] > 0.999 && row[1] == row[3] && row[1] > row[0] && row[0] > row[2]);
    }
}
