//! The encoder's linear layers in int8, for indexing (`index --int8`): weights
//! quantized per output to i8 and packed once at load, each product's input
//! quantized per token row to u8 with its own scale and zero point, the product run
//! by `rten-gemm`'s u8 × i8 → i32 kernels (AVX-512 VNNI's `vpdpbusd` on x86-64, the
//! dot-product instructions on Arm), and the i32 sums scaled back to f32.
//!
//! Only where the kernel cannot saturate: without VNNI the x86 kernel adds pairs of
//! u8 × i8 products in 16 bits, which overflows for the full u8 range, so
//! [`Int8::new`] refuses and the encoder stays in f32.

use rten_gemm::{
    GemmExecutor, GemmInputA, GemmInputB, GemmUninitOptions, PackedBMatrix, QuantParams,
};
use rten_tensor::{Matrix, NdTensorView};

/// The int8 kernels of this CPU.
pub struct Int8 {
    gemm: GemmExecutor<u8, i8, i32>,
}

impl Int8 {
    /// The kernels, or why this CPU has none that are exact.
    pub fn new() -> Result<Int8, String> {
        let gemm = GemmExecutor::<u8, i8, i32>::default();
        if gemm.may_saturate() {
            return Err(format!(
                "the int8 kernel of this CPU ({}) can saturate (no VNNI)",
                gemm.kernel_name()
            ));
        }
        Ok(Int8 { gemm })
    }

    /// A linear layer's weights, `outputs × inputs` row-major, quantized and packed.
    pub fn weights(&self, w: &[f32], inputs: usize, outputs: usize) -> Weights {
        assert_eq!(w.len(), inputs * outputs);
        let mut q = vec![0i8; w.len()];
        let mut scales = Vec::with_capacity(outputs);
        for (row, out) in w.chunks_exact(inputs).zip(q.chunks_exact_mut(inputs)) {
            let max = row.iter().fold(0f32, |m, v| m.max(v.abs()));
            let scale = if max > 0.0 && max.is_finite() {
                max / 127.0
            } else {
                1.0
            };
            for (o, v) in out.iter_mut().zip(row) {
                *o = (v / scale).round().clamp(-127.0, 127.0) as i8;
            }
            scales.push(scale);
        }
        // The kernel's right operand is `inputs × outputs`: the stored rows are its
        // columns.
        let b = Matrix::from_slice_with_strides([inputs, outputs], &q[..], [1, inputs])
            .expect("the strides cover the weights");
        Weights {
            packed: self.gemm.prepack_b(b),
            scales,
            inputs,
            outputs,
        }
    }

    /// `y[i·y_stride + o] += Σ_j x[i·k + j]·W[o, j]` for the `m` rows of `x`
    /// (`m × inputs`, dense), through u8 × i8 products; `scratch` is reused between
    /// calls.
    pub fn add_product(
        &self,
        w: &Weights,
        x: &[f32],
        m: usize,
        y: &mut [f32],
        y_stride: usize,
        scratch: &mut Scratch,
    ) {
        let (k, n) = (w.inputs, w.outputs);
        if m == 0 {
            return;
        }
        assert!(x.len() >= m * k && y_stride >= n && y.len() >= (m - 1) * y_stride + n);
        scratch.quantize(&x[..m * k], k);
        // The kernel writes every sum: the buffer is grown, never cleared.
        if scratch.sums.len() < m * n {
            scratch.sums.resize(m * n, 0);
        }
        let a = NdTensorView::from_data([m, k], &scratch.q[..]);
        let out = as_uninit(&mut scratch.sums[..m * n]);
        let result = self.gemm.gemm_uninit(
            out,
            GemmInputA::Unpacked(a),
            GemmInputB::Packed(&w.packed),
            GemmUninitOptions {
                a_quant: Some(QuantParams {
                    zero_point: &scratch.zero,
                }),
                ..GemmUninitOptions::default()
            },
        );
        // The shapes are checked above; a mismatch would be a bug of this module.
        result.expect("int8 product shapes");
        for (i, sums) in scratch.sums[..m * n].chunks_exact(n).enumerate() {
            let row = &mut y[i * y_stride..i * y_stride + n];
            scale_add(row, sums, &w.scales, scratch.scale[i]);
        }
    }
}

/// `row[o] += sums[o]·scales[o]·row_scale`.
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512vl+avx2+fma",
    "x86_64+avx2+fma",
    "aarch64+neon"
))]
fn scale_add(row: &mut [f32], sums: &[i32], scales: &[f32], row_scale: f32) {
    for ((y, s), c) in row.iter_mut().zip(sums).zip(scales) {
        *y += *s as f32 * (c * row_scale);
    }
}

/// The buffer of `i32`s as the kernel's output (it writes every element).
fn as_uninit(values: &mut [i32]) -> &mut [std::mem::MaybeUninit<i32>] {
    // SAFETY: an initialized i32 is a valid MaybeUninit<i32>, of the same layout, and
    // the kernel writes only initialized values.
    unsafe { &mut *(values as *mut [i32] as *mut [std::mem::MaybeUninit<i32>]) }
}

/// A linear layer's weights in i8, one scale per output, packed for the kernel.
pub struct Weights {
    packed: PackedBMatrix<i8>,
    scales: Vec<f32>,
    inputs: usize,
    outputs: usize,
}

/// Buffers of the int8 products, kept between calls (a batch's inputs are a few MB).
#[derive(Default)]
pub struct Scratch {
    q: Vec<u8>,
    zero: Vec<u8>,
    scale: Vec<f32>,
    sums: Vec<i32>,
}

impl Scratch {
    /// Quantizes each row of `x` (rows of `k`) to u8 with its own scale, symmetric
    /// about the zero point 128: `x ≈ (q − 128)·scale`.
    ///
    /// One zero point for every row, not each row's own range: rten-gemm 0.27.0
    /// packs the first rows' zero points into every panel of 8 rows
    /// (`packing::int8::pack_a_impl` reads `zp[r]`, not `zp[panel·MR + r]`), which
    /// gave garbage vectors; a constant zero point is immune to that.
    fn quantize(&mut self, x: &[f32], k: usize) {
        let m = x.len() / k;
        self.q.resize(m * k, 0);
        self.zero.clear();
        self.zero.resize(m, ZERO as u8);
        self.scale.clear();
        for (row, out) in x.chunks_exact(k).zip(self.q.chunks_exact_mut(k)) {
            let max = max_abs(row);
            let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
            quantize_row(row, out, 1.0 / scale, ZERO);
            self.scale.push(scale);
        }
    }
}

/// The zero point of every row of a product's input.
const ZERO: f32 = 128.0;

/// `out[j] = round(row[j]·inv + zero)` (ties to even), clamped to u8 (NaN: 0). Written
/// so that it vectorizes: a float's `as u8` or `as i32` is a saturating conversion the
/// compiler does one value at a time, while a value already in range converts with one
/// vector instruction.
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512vl+avx2+fma",
    "x86_64+avx2+fma",
    "aarch64+neon"
))]
fn quantize_row(row: &[f32], out: &mut [u8], inv: f32, zero: f32) {
    for (o, v) in out.iter_mut().zip(row) {
        let q = (v * inv + zero).round_ties_even();
        // Comparisons with NaN are false: NaN becomes 0.
        let q = if q >= 0.0 { q } else { 0.0 };
        let q = if q <= 255.0 { q } else { 255.0 };
        // SAFETY: `q` is finite and within 0..=255, so it fits an i32 (and a u8).
        *o = unsafe { q.to_int_unchecked::<i32>() } as u8;
    }
}

/// The largest magnitude of the finite values of `row` (0 when there is none), in
/// 16 independent lanes so that it vectorizes (a running maximum over one value at a
/// time does not: float maxima are not associative to the compiler).
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512vl+avx2+fma",
    "x86_64+avx2+fma",
    "aarch64+neon"
))]
fn max_abs(row: &[f32]) -> f32 {
    const LANES: usize = 16;
    let keep = |m: f32, v: f32| {
        let a = v.abs();
        if a > m && a < f32::INFINITY {
            a
        } else {
            m
        }
    };
    let mut lanes = [0f32; LANES];
    let chunks = row.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (m, &v) in lanes.iter_mut().zip(chunk) {
            *m = keep(*m, v);
        }
    }
    rest.iter()
        .fold(lanes.into_iter().fold(0f32, keep), |m, &v| keep(m, v))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random value in [-1, 1).
    fn noise(i: usize) -> f32 {
        let x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
        (x as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    #[test]
    fn the_int8_product_is_close_to_the_f32_one() {
        let Ok(int8) = Int8::new() else {
            eprintln!("skipped: no exact int8 kernel on this CPU");
            return;
        };
        let (m, k, n, stride) = (150, 1536, 200, 210);
        let w: Vec<f32> = (0..k * n).map(|i| noise(i) * 0.2).collect();
        let x: Vec<f32> = (0..m * k).map(|i| noise(i + 99_999) * 3.0).collect();
        let weights = int8.weights(&w, k, n);
        let mut y = vec![1.0f32; (m - 1) * stride + n];
        int8.add_product(&weights, &x, m, &mut y, stride, &mut Scratch::default());
        for i in 0..m {
            for o in 0..n {
                let exact: f32 = (0..k).map(|j| x[i * k + j] * w[o * k + j]).sum::<f32>() + 1.0;
                let got = y[i * stride + o];
                assert!(
                    (got - exact).abs() < 0.15,
                    "row {i}, output {o}: {got} vs {exact}"
                );
            }
        }
    }

    #[test]
    fn rows_of_zeros_and_non_finite_values_do_not_panic() {
        let Ok(int8) = Int8::new() else {
            eprintln!("skipped: no exact int8 kernel on this CPU");
            return;
        };
        let weights = int8.weights(&[0.0; 8], 4, 2);
        let x = [0.0, 0.0, 0.0, 0.0, f32::NAN, f32::INFINITY, -1.0, 1.0];
        let mut y = vec![0.0f32; 4];
        int8.add_product(&weights, &x, 2, &mut y, 2, &mut Scratch::default());
        assert_eq!(&y[..2], &[0.0, 0.0]);
    }

    /// The vectorized row steps give what one value at a time gives, on every length
    /// around the lane width, with non-finite values among them.
    #[test]
    fn row_steps_match_their_scalar_definitions() {
        for len in [0, 1, 15, 16, 17, 31, 33, 384, 1536] {
            let mut row: Vec<f32> = (0..len).map(|i| noise(i + len) * 7.0).collect();
            if len > 3 {
                row[len / 2] = f32::NAN;
                row[len / 3] = f32::INFINITY;
                row[1] = -1e9;
            }
            let expected = row
                .iter()
                .filter(|v| v.is_finite())
                .fold(0f32, |m, v| m.max(v.abs()));
            assert_eq!(max_abs(&row), expected, "length {len}");
            let mut out = vec![7u8; len];
            quantize_row(&row, &mut out, 127.0 / 7.0, ZERO);
            for (v, o) in row.iter().zip(&out) {
                let q = (v * (127.0 / 7.0) + ZERO).round_ties_even();
                let want = if q.is_nan() {
                    0
                } else {
                    q.clamp(0.0, 255.0) as u8
                };
                assert_eq!(*o, want, "{v}");
            }
        }
    }
}
