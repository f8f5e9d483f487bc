;; SIMD optimizer kernels for @stepsize/engine (assembled by assemble.mjs into kernels-wasm.ts).
;;
;; Every kernel mirrors its reference in ../kernels.ts operation for operation:
;; an operation the reference rounds once to float32 (Math.fround of a float32
;; product, quotient, sum or square root, all correctly rounded) is the matching
;; f32x4 instruction; a multiply-add the reference rounds once (fma32(a, b, c) =
;; r(a + b * c), a true fused multiply-add as PyTorch's CPU kernels) is written
;; (FMA32 a b c). assemble.mjs builds the module twice from this text: with
;; FMA32 as f32x4.relaxed_madd (used only where relaxed SIMD validates and the
;; start-up probe `fmaProbe` shows it fused), and with FMA32 as a call to
;; $fma32x4, which rounds exactly once without a hardware FMA (float64 lanes,
;; TwoSum and rounding to odd). Pointers are byte offsets into the shared
;; memory; n is a multiple of 4 (the caller does the tail).
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; Helpers below are written out inline in the loops (Node 20's V8 does not inline wasm
  ;; calls). HI(x) moves lanes 2-3 to lanes 0-1: (i8x16.shuffle 8..15 8..15 x x); JOIN(lo, hi)
  ;; packs two demoted halves: (i8x16.shuffle 0..7 16..23 lo hi).

;; a + b c rounded once to float32, per lane, without a hardware FMA: in float64 the product is
  ;; exact; the sum s and its exact error e (TwoSum) give s rounded to odd (moved one float64 unit
  ;; toward e when inexact and even), and rounding to odd then to float32 is one rounding
  ;; (Boldo and Melquiond 2008). The same method as fmaFloat32 in @stepsize/core.
  (func $fma64x2 (param $a v128) (param $b v128) (param $c v128) (result v128)
    (local $p v128) (local $s v128) (local $back v128) (local $e v128)
    (local.set $p (f64x2.mul (local.get $b) (local.get $c)))
    (local.set $s (f64x2.add (local.get $a) (local.get $p)))
    (local.set $back (f64x2.sub (local.get $s) (local.get $a)))
    (local.set $e
      (f64x2.add
        (f64x2.sub (local.get $a) (f64x2.sub (local.get $s) (local.get $back)))
        (f64x2.sub (local.get $p) (local.get $back))))
    (f32x4.demote_f64x2_zero
      (i64x2.add (local.get $s)
        (v128.and
          ;; +1 when s and e have the same sign (away from zero), else -1
          (v128.or (i64x2.shr_s (v128.xor (local.get $s) (local.get $e)) (i32.const 63)) (v128.const i64x2 1 1))
          ;; only when e is a nonzero number and the last bit of s is 0
          (v128.and
            (v128.and (f64x2.ne (local.get $e) (v128.const f64x2 0 0)) (f64x2.eq (local.get $e) (local.get $e)))
            (i64x2.eq (v128.and (local.get $s) (v128.const i64x2 1 1)) (v128.const i64x2 0 0)))))))

  ;; FMA32 without a hardware FMA: both halves through $fma64x2, joined.
  (func $fma32x4 (param $a v128) (param $b v128) (param $c v128) (result v128)
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
      (call $fma64x2
        (f64x2.promote_low_f32x4 (local.get $a))
        (f64x2.promote_low_f32x4 (local.get $b))
        (f64x2.promote_low_f32x4 (local.get $c)))
      (call $fma64x2
        (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $a) (local.get $a)))
        (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $b) (local.get $b)))
        (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $c) (local.get $c))))))

  ;; 1 when FMA32 rounds once here: (1 + 2^-12)(1 - 2^-12) - 1 is -2^-24 fused, 0 unfused.
  (func (export "fmaProbe") (result i32)
    (f32.eq
      (f32x4.extract_lane 0
        (FMA32 (v128.const f32x4 -1 -1 -1 -1) (v128.const f32x4 0x1.001p+0 0x1.001p+0 0x1.001p+0 0x1.001p+0)
          (v128.const f32x4 0x1.ffep-1 0x1.ffep-1 0x1.ffep-1 0x1.ffep-1)))
      (f32.const -0x1p-24)))

  ;; Adam and AdamW. flags: 1 maximize, 2 weight decay, 4 decoupled (AdamW), 8 amsgrad (vmax).
  (func (export "adam")
    (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $vmax i32) (param $n i32) (param $flags i32)
    (param $beta1 f32) (param $oneMinusBeta1 f32) (param $beta2 f32) (param $oneMinusBeta2 f32) (param $epsilon f32)
    (param $weightDecay f32) (param $decayFactor f32) (param $negativeStepSize f32) (param $biasCorrection2Sqrt f32)
    (local $o i32) (local $end i32)
    (local $B1 v128) (local $C1 v128) (local $B2 v128) (local $C2 v128) (local $EPS v128)
    (local $WD v128) (local $DECAY v128) (local $STEP v128) (local $BC2 v128)
    (local $pv v128) (local $gv v128) (local $t v128) (local $a v128)
    (local $mi v128) (local $vi v128) (local $x v128)
    (local $maximize i32) (local $l2 i32) (local $decoupled i32) (local $amsgrad i32)
    (local.set $B1 (f32x4.splat (local.get $beta1)))
    (local.set $C1 (f32x4.splat (local.get $oneMinusBeta1)))
    (local.set $B2 (f32x4.splat (local.get $beta2)))
    (local.set $C2 (f32x4.splat (local.get $oneMinusBeta2)))
    (local.set $EPS (f32x4.splat (local.get $epsilon)))
    (local.set $WD (f32x4.splat (local.get $weightDecay)))
    (local.set $DECAY (f32x4.splat (local.get $decayFactor)))
    (local.set $STEP (f32x4.splat (local.get $negativeStepSize)))
    (local.set $BC2 (f32x4.splat (local.get $biasCorrection2Sqrt)))
    (local.set $maximize (i32.and (local.get $flags) (i32.const 1)))
    (local.set $l2 (i32.eq (i32.and (local.get $flags) (i32.const 6)) (i32.const 2)))
    (local.set $decoupled (i32.eq (i32.and (local.get $flags) (i32.const 6)) (i32.const 6)))
    (local.set $amsgrad (i32.and (local.get $flags) (i32.const 8)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $o (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $pv (v128.load (i32.add (local.get $p) (local.get $o))))
        (local.set $gv (v128.load (i32.add (local.get $g) (local.get $o))))
        (if (local.get $maximize) (then (local.set $gv (f32x4.neg (local.get $gv)))))
        (if (local.get $decoupled) (then (local.set $pv (f32x4.mul (local.get $pv) (local.get $DECAY)))))
        (if (local.get $l2)
          (then
            ;; g = r(g + p * wd)
            (local.set $gv
              (FMA32 (local.get $gv) (local.get $pv) (local.get $WD)))))
        ;; mi = r(r(m * b1) + g * c1)
        (local.set $a (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $o))) (local.get $B1)))
        (local.set $mi
          (FMA32 (local.get $a) (local.get $gv) (local.get $C1)))
        ;; vi = r(r(v * b2) + r(g * c2) * g)
        (local.set $a (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $o))) (local.get $B2)))
        (local.set $t (f32x4.mul (local.get $gv) (local.get $C2)))
        (local.set $vi
          (FMA32 (local.get $a) (local.get $t) (local.get $gv)))
        (v128.store (i32.add (local.get $m) (local.get $o)) (local.get $mi))
        (v128.store (i32.add (local.get $v) (local.get $o)) (local.get $vi))
        (if (local.get $amsgrad)
          (then
            ;; vi = max32(vmax, vi): x > y ? x : y, NaN if either is NaN
            (local.set $x (v128.load (i32.add (local.get $vmax) (local.get $o))))
            (local.set $vi
              (v128.bitselect
                (v128.const i32x4 0x7fc00000 0x7fc00000 0x7fc00000 0x7fc00000)
                (v128.bitselect (local.get $x) (local.get $vi) (f32x4.gt (local.get $x) (local.get $vi)))
                (v128.or (f32x4.ne (local.get $x) (local.get $x)) (f32x4.ne (local.get $vi) (local.get $vi)))))
            (v128.store (i32.add (local.get $vmax) (local.get $o)) (local.get $vi))))
        ;; p = r(p + r(r(mi * step) / r(r(r(sqrt(vi)) / bc2) + eps)))
        (v128.store (i32.add (local.get $p) (local.get $o))
          (f32x4.add (local.get $pv)
            (f32x4.div
              (f32x4.mul (local.get $mi) (local.get $STEP))
              (f32x4.add (f32x4.div (f32x4.sqrt (local.get $vi)) (local.get $BC2)) (local.get $EPS)))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $next))))

  ;; Adam and AdamW without maximize, L2 weight decay or amsgrad (the common case, no branches):
  ;; p is multiplied by decay (AdamW's 1 - lr wd; the caller passes 1 for Adam: exact).
  (func (export "adamPlain")
    (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32)
    (param $beta1 f32) (param $oneMinusBeta1 f32) (param $beta2 f32) (param $oneMinusBeta2 f32) (param $epsilon f32)
    (param $decayFactor f32) (param $negativeStepSize f32) (param $biasCorrection2Sqrt f32)
    (local $o i32) (local $end i32)
    (local $B1 v128) (local $C1 v128) (local $B2 v128) (local $C2 v128) (local $EPS v128)
    (local $DECAY v128) (local $STEP v128) (local $BC2 v128)
    (local $gv v128) (local $t v128) (local $a v128)
    (local $mi v128) (local $vi v128)
    (local $end2 i32) (local $gv2 v128) (local $t2 v128) (local $a2 v128) (local $mi2 v128) (local $vi2 v128)
    (local.set $B1 (f32x4.splat (local.get $beta1)))
    (local.set $C1 (f32x4.splat (local.get $oneMinusBeta1)))
    (local.set $B2 (f32x4.splat (local.get $beta2)))
    (local.set $C2 (f32x4.splat (local.get $oneMinusBeta2)))
    (local.set $EPS (f32x4.splat (local.get $epsilon)))
    (local.set $DECAY (f32x4.splat (local.get $decayFactor)))
    (local.set $STEP (f32x4.splat (local.get $negativeStepSize)))
    (local.set $BC2 (f32x4.splat (local.get $biasCorrection2Sqrt)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $o (i32.const 0))
    ;; Two vectors per iteration (independent work for the out-of-order core while loads are in
    ;; flight), then the last one when n / 4 is odd: assemble.mjs writes both loops from this body
    ;; (the second vector's copy has the listed locals renamed with a 2 and every access 16 bytes
    ;; on; $end2, $o and the renamed locals are declared above).
    (BY_PAIRS ($gv $t $a $mi $vi)
      (local.set $gv (v128.load (i32.add (local.get $g) (local.get $o))))
      ;; mi = r(r(m * b1) + g * c1)
      (local.set $a (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $o))) (local.get $B1)))
      (local.set $mi
        (FMA32 (local.get $a) (local.get $gv) (local.get $C1)))
      (v128.store (i32.add (local.get $m) (local.get $o)) (local.get $mi))
      ;; vi = r(r(v * b2) + r(g * c2) * g)
      (local.set $a (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $o))) (local.get $B2)))
      (local.set $t (f32x4.mul (local.get $gv) (local.get $C2)))
      (local.set $vi
        (FMA32 (local.get $a) (local.get $t) (local.get $gv)))
      (v128.store (i32.add (local.get $v) (local.get $o)) (local.get $vi))
      ;; p = r(r(p * decay) + r(r(mi * step) / r(r(r(sqrt(vi)) / bc2) + eps)))
      (v128.store (i32.add (local.get $p) (local.get $o))
        (f32x4.add
          (f32x4.mul (v128.load (i32.add (local.get $p) (local.get $o))) (local.get $DECAY))
          (f32x4.div
            (f32x4.mul (local.get $mi) (local.get $STEP))
            (f32x4.add (f32x4.div (f32x4.sqrt (local.get $vi)) (local.get $BC2)) (local.get $EPS)))))))

  ;; SGD with plain momentum (no maximize, weight decay, dampening or nesterov):
  ;; b = r(r(b * decay) + g); p = r(p + b * lr).
  (func (export "sgdMomentum")
    (param $p i32) (param $g i32) (param $buf i32) (param $n i32) (param $negativeLearningRate f32) (param $bufferDecay f32)
    (local $o i32) (local $end i32) (local $LR v128) (local $DECAY v128) (local $pv v128) (local $b v128)
    (local.set $LR (f32x4.splat (local.get $negativeLearningRate)))
    (local.set $DECAY (f32x4.splat (local.get $bufferDecay)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $o (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $pv (v128.load (i32.add (local.get $p) (local.get $o))))
        (local.set $b
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $buf) (local.get $o))) (local.get $DECAY))
            (v128.load (i32.add (local.get $g) (local.get $o)))))
        (v128.store (i32.add (local.get $buf) (local.get $o)) (local.get $b))
        (v128.store (i32.add (local.get $p) (local.get $o))
          (FMA32 (local.get $pv) (local.get $b) (local.get $LR)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $next))))

  ;; SGD. flags: 1 maximize, 2 weight decay, 4 nesterov, 8 dampening, 16 momentum buffer.
  (func (export "sgd")
    (param $p i32) (param $g i32) (param $buf i32) (param $n i32) (param $flags i32)
    (param $negativeLearningRate f32) (param $weightDecay f32) (param $bufferDecay f32) (param $gradientWeight f32) (param $momentum f32)
    (local $o i32) (local $end i32)
    (local $LR v128) (local $WD v128) (local $DECAY v128) (local $WEIGHT v128) (local $MOMENTUM v128)
    (local $pv v128) (local $d v128) (local $b v128)
    (local $maximize i32) (local $l2 i32) (local $nesterov i32) (local $dampening i32) (local $buffer i32)
    (local.set $LR (f32x4.splat (local.get $negativeLearningRate)))
    (local.set $WD (f32x4.splat (local.get $weightDecay)))
    (local.set $DECAY (f32x4.splat (local.get $bufferDecay)))
    (local.set $WEIGHT (f32x4.splat (local.get $gradientWeight)))
    (local.set $MOMENTUM (f32x4.splat (local.get $momentum)))
    (local.set $maximize (i32.and (local.get $flags) (i32.const 1)))
    (local.set $l2 (i32.and (local.get $flags) (i32.const 2)))
    (local.set $nesterov (i32.and (local.get $flags) (i32.const 4)))
    (local.set $dampening (i32.and (local.get $flags) (i32.const 8)))
    (local.set $buffer (i32.and (local.get $flags) (i32.const 16)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $o (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $pv (v128.load (i32.add (local.get $p) (local.get $o))))
        (local.set $d (v128.load (i32.add (local.get $g) (local.get $o))))
        (if (local.get $maximize) (then (local.set $d (f32x4.neg (local.get $d)))))
        (if (local.get $l2)
          (then
            ;; d = r(d + p * wd)
            (local.set $d
              (FMA32 (local.get $d) (local.get $pv) (local.get $WD)))))
        (if (local.get $buffer)
          (then
            (local.set $b (f32x4.mul (v128.load (i32.add (local.get $buf) (local.get $o))) (local.get $DECAY)))
            (if (local.get $dampening)
              (then
                ;; b = r(r(b * decay) + d * weight)
                (local.set $b
                  (FMA32 (local.get $b) (local.get $d) (local.get $WEIGHT))))
              (else (local.set $b (f32x4.add (local.get $b) (local.get $d)))))
            (v128.store (i32.add (local.get $buf) (local.get $o)) (local.get $b))
            (if (local.get $nesterov)
              (then
                ;; d = r(d + b * momentum)
                (local.set $d
                  (FMA32 (local.get $d) (local.get $b) (local.get $MOMENTUM))))
              (else (local.set $d (local.get $b))))))
        ;; p = r(p + d * lr)
        (v128.store (i32.add (local.get $p) (local.get $o))
          (FMA32 (local.get $pv) (local.get $d) (local.get $LR)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $next))))

  ;; Dense-layer products. For each row i in [0, m) and each column j in [0, n):
  ;;   C[i][j] = MADD32(C[i][j], A(i, k), B[k][j])  for k = 0 .. kk-1 in order, skipping A(i, k) = ±0,
  ;; where MADD32 is r(c + r(a b)) in the plain build (referenceMatmul) and the fused r(c + a b) in
  ;; the relaxed-SIMD build (fusedReferenceMatmul),
  ;; with A(i, k) at a + 4 (i ai + k ak) (so A can be read transposed), B and C row-major with n
  ;; columns, rounded as the matching reference (../model/matmul.ts).
  ;; Two rows by 16 columns at a time (eight accumulators kept in registers over the whole k loop,
  ;; each B vector loaded once for both rows); the remaining columns go through $rowsBy4 (four
  ;; rows by 4 columns) and $rowsFrom (one row), the last row of an odd m through $rowsFrom. Rows of B and C may be read up to 12 bytes past their end:
  ;; callers leave 16 bytes after both.
  (func $rowsFrom
    (param $c i32) (param $a i32) (param $b i32) (param $i i32) (param $iEnd i32) (param $kk i32) (param $n i32)
    (param $ai i32) (param $ak i32) (param $j0 i32)
    (local $j i32) (local $k i32) (local $xs v128) (local $crow i32) (local $arow i32) (local $ap i32) (local $bp i32)
    (local $acc0 v128) (local $rowBytes i32) (local $aiBytes i32) (local $akBytes i32)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $aiBytes (i32.shl (local.get $ai) (i32.const 2)))
    (local.set $akBytes (i32.shl (local.get $ak) (i32.const 2)))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $iEnd)))
        (local.set $crow (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $rowBytes))))
        (local.set $arow (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aiBytes))))
        (local.set $j (local.get $j0))
        (block $narrowDone
          (loop $narrow
            (br_if $narrowDone (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
            (local.set $acc0 (v128.load (i32.add (local.get $crow) (i32.shl (local.get $j) (i32.const 2)))))
            (local.set $ap (local.get $arow))
            (local.set $bp (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
            (local.set $k (i32.const 0))
            (block $kDone4
              (loop $ks4
                (br_if $kDone4 (i32.ge_u (local.get $k) (local.get $kk)))
                ;; Branch-free (narrow products often have relu outputs, half zeros, as A):
                ;; lanes keep acc0 where A(i, k) = ±0, as if the term were skipped.
                (local.set $xs (f32x4.splat (f32.load (local.get $ap))))
                (local.set $acc0
                  (v128.bitselect
                    (local.get $acc0)
                    (MADD32 (local.get $acc0) (local.get $xs) (v128.load (local.get $bp)))
                    (f32x4.eq (local.get $xs) (v128.const f32x4 0 0 0 0))))
                (local.set $ap (i32.add (local.get $ap) (local.get $akBytes)))
                (local.set $bp (i32.add (local.get $bp) (local.get $rowBytes)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $ks4)))
            (v128.store (i32.add (local.get $crow) (i32.shl (local.get $j) (i32.const 2))) (local.get $acc0))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $narrow)))
        ;; The last n mod 4 columns as one 4-lane vector: lanes are independent, so the lanes
        ;; past the row (read from the next row or the caller's 16 bytes of padding) do not
        ;; change the others, and only the valid lanes are stored.
        (if (i32.lt_u (local.get $j) (local.get $n))
          (then
            (local.set $acc0 (v128.load (i32.add (local.get $crow) (i32.shl (local.get $j) (i32.const 2)))))
            (local.set $ap (local.get $arow))
            (local.set $bp (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
            (local.set $k (i32.const 0))
            (block $kDone1
              (loop $ks1
                (br_if $kDone1 (i32.ge_u (local.get $k) (local.get $kk)))
                ;; Branch-free (narrow products often have relu outputs, half zeros, as A):
                ;; lanes keep acc0 where A(i, k) = ±0, as if the term were skipped.
                (local.set $xs (f32x4.splat (f32.load (local.get $ap))))
                (local.set $acc0
                  (v128.bitselect
                    (local.get $acc0)
                    (MADD32 (local.get $acc0) (local.get $xs) (v128.load (local.get $bp)))
                    (f32x4.eq (local.get $xs) (v128.const f32x4 0 0 0 0))))
                (local.set $ap (i32.add (local.get $ap) (local.get $akBytes)))
                (local.set $bp (i32.add (local.get $bp) (local.get $rowBytes)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $ks1)))
            (local.set $crow (i32.add (local.get $crow) (i32.shl (local.get $j) (i32.const 2))))
            (if (i32.ge_u (i32.sub (local.get $n) (local.get $j)) (i32.const 2))
              (then
                (v128.store64_lane 0 (local.get $crow) (local.get $acc0))
                (if (i32.eq (i32.sub (local.get $n) (local.get $j)) (i32.const 3))
                  (then (v128.store32_lane offset=8 2 (local.get $crow) (local.get $acc0)))))
              (else (v128.store32_lane 0 (local.get $crow) (local.get $acc0))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows))))

  ;; Rows [i, i + 4 q) of the product from column j0 on, four rows at a time, 4 columns per
  ;; vector (the last n mod 4 as one masked vector, as in $rowsFrom): four independent
  ;; accumulators, so that consecutive multiply-adds do not wait for one another (a narrow
  ;; product, such as a 10-class output layer, has no 16-column blocks). Returns the first row it
  ;; did not do. Each element is summed in the same order as in $rowsFrom.
  (func $rowsBy4
    (param $c i32) (param $a i32) (param $b i32) (param $i i32) (param $iEnd i32) (param $kk i32) (param $n i32)
    (param $ai i32) (param $ak i32) (param $j0 i32) (result i32)
    (local $j i32) (local $k i32) (local $crow i32) (local $arow i32) (local $ap i32) (local $bp i32) (local $cp i32)
    (local $bv v128) (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
    (local $xs0 v128) (local $xs1 v128) (local $xs2 v128) (local $xs3 v128)
    (local $rowBytes i32) (local $aiBytes i32) (local $akBytes i32)
    (local $off0 i32) (local $off1 i32) (local $off2 i32) (local $off3 i32)
    (local $coff0 i32) (local $coff1 i32) (local $coff2 i32) (local $coff3 i32)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $aiBytes (i32.shl (local.get $ai) (i32.const 2)))
    (local.set $akBytes (i32.shl (local.get $ak) (i32.const 2)))
    (local.set $off0 (i32.const 0))
    (local.set $off1 (local.get $aiBytes))
    (local.set $off2 (i32.shl (local.get $aiBytes) (i32.const 1)))
    (local.set $off3 (i32.mul (local.get $aiBytes) (i32.const 3)))
    (local.set $coff0 (i32.const 0))
    (local.set $coff1 (local.get $rowBytes))
    (local.set $coff2 (i32.shl (local.get $rowBytes) (i32.const 1)))
    (local.set $coff3 (i32.mul (local.get $rowBytes) (i32.const 3)))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $iEnd)))
        (local.set $crow (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $rowBytes))))
        (local.set $arow (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aiBytes))))
        (local.set $j (local.get $j0))
        (block $colsDone
          (loop $cols
            (br_if $colsDone (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $acc0 (v128.load (i32.add (i32.add (local.get $crow) (local.get $coff0)) (i32.shl (local.get $j) (i32.const 2)))))
            (local.set $acc1 (v128.load (i32.add (i32.add (local.get $crow) (local.get $coff1)) (i32.shl (local.get $j) (i32.const 2)))))
            (local.set $acc2 (v128.load (i32.add (i32.add (local.get $crow) (local.get $coff2)) (i32.shl (local.get $j) (i32.const 2)))))
            (local.set $acc3 (v128.load (i32.add (i32.add (local.get $crow) (local.get $coff3)) (i32.shl (local.get $j) (i32.const 2)))))
            (local.set $ap (local.get $arow))
            (local.set $bp (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
            (local.set $k (i32.const 0))
            (block $kDone
              (loop $ks
                (br_if $kDone (i32.ge_u (local.get $k) (local.get $kk)))
                (local.set $bv (v128.load (local.get $bp)))
                ;; Branch-free: lanes keep acc where A(i, k) = ±0, as if the term were skipped.
                (local.set $xs0 (f32x4.splat (f32.load (i32.add (local.get $ap) (local.get $off0)))))
                (local.set $acc0
                  (v128.bitselect
                    (local.get $acc0)
                    (MADD32 (local.get $acc0) (local.get $xs0) (local.get $bv))
                    (f32x4.eq (local.get $xs0) (v128.const f32x4 0 0 0 0))))
                (local.set $xs1 (f32x4.splat (f32.load (i32.add (local.get $ap) (local.get $off1)))))
                (local.set $acc1
                  (v128.bitselect
                    (local.get $acc1)
                    (MADD32 (local.get $acc1) (local.get $xs1) (local.get $bv))
                    (f32x4.eq (local.get $xs1) (v128.const f32x4 0 0 0 0))))
                (local.set $xs2 (f32x4.splat (f32.load (i32.add (local.get $ap) (local.get $off2)))))
                (local.set $acc2
                  (v128.bitselect
                    (local.get $acc2)
                    (MADD32 (local.get $acc2) (local.get $xs2) (local.get $bv))
                    (f32x4.eq (local.get $xs2) (v128.const f32x4 0 0 0 0))))
                (local.set $xs3 (f32x4.splat (f32.load (i32.add (local.get $ap) (local.get $off3)))))
                (local.set $acc3
                  (v128.bitselect
                    (local.get $acc3)
                    (MADD32 (local.get $acc3) (local.get $xs3) (local.get $bv))
                    (f32x4.eq (local.get $xs3) (v128.const f32x4 0 0 0 0))))
                (local.set $ap (i32.add (local.get $ap) (local.get $akBytes)))
                (local.set $bp (i32.add (local.get $bp) (local.get $rowBytes)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $ks)))
            (if (i32.le_u (i32.add (local.get $j) (i32.const 4)) (local.get $n))
              (then
              (v128.store (i32.add (i32.add (local.get $crow) (local.get $coff0)) (i32.shl (local.get $j) (i32.const 2))) (local.get $acc0))
              (v128.store (i32.add (i32.add (local.get $crow) (local.get $coff1)) (i32.shl (local.get $j) (i32.const 2))) (local.get $acc1))
              (v128.store (i32.add (i32.add (local.get $crow) (local.get $coff2)) (i32.shl (local.get $j) (i32.const 2))) (local.get $acc2))
              (v128.store (i32.add (i32.add (local.get $crow) (local.get $coff3)) (i32.shl (local.get $j) (i32.const 2))) (local.get $acc3)))
              (else
                (local.set $cp (i32.add (i32.add (local.get $crow) (local.get $coff0)) (i32.shl (local.get $j) (i32.const 2))))
                (if (i32.ge_u (i32.sub (local.get $n) (local.get $j)) (i32.const 2))
                  (then
                    (v128.store64_lane 0 (local.get $cp) (local.get $acc0))
                    (if (i32.eq (i32.sub (local.get $n) (local.get $j)) (i32.const 3))
                      (then (v128.store32_lane offset=8 2 (local.get $cp) (local.get $acc0)))))
                  (else (v128.store32_lane 0 (local.get $cp) (local.get $acc0))))
                (local.set $cp (i32.add (i32.add (local.get $crow) (local.get $coff1)) (i32.shl (local.get $j) (i32.const 2))))
                (if (i32.ge_u (i32.sub (local.get $n) (local.get $j)) (i32.const 2))
                  (then
                    (v128.store64_lane 0 (local.get $cp) (local.get $acc1))
                    (if (i32.eq (i32.sub (local.get $n) (local.get $j)) (i32.const 3))
                      (then (v128.store32_lane offset=8 2 (local.get $cp) (local.get $acc1)))))
                  (else (v128.store32_lane 0 (local.get $cp) (local.get $acc1))))
                (local.set $cp (i32.add (i32.add (local.get $crow) (local.get $coff2)) (i32.shl (local.get $j) (i32.const 2))))
                (if (i32.ge_u (i32.sub (local.get $n) (local.get $j)) (i32.const 2))
                  (then
                    (v128.store64_lane 0 (local.get $cp) (local.get $acc2))
                    (if (i32.eq (i32.sub (local.get $n) (local.get $j)) (i32.const 3))
                      (then (v128.store32_lane offset=8 2 (local.get $cp) (local.get $acc2)))))
                  (else (v128.store32_lane 0 (local.get $cp) (local.get $acc2))))
                (local.set $cp (i32.add (i32.add (local.get $crow) (local.get $coff3)) (i32.shl (local.get $j) (i32.const 2))))
                (if (i32.ge_u (i32.sub (local.get $n) (local.get $j)) (i32.const 2))
                  (then
                    (v128.store64_lane 0 (local.get $cp) (local.get $acc3))
                    (if (i32.eq (i32.sub (local.get $n) (local.get $j)) (i32.const 3))
                      (then (v128.store32_lane offset=8 2 (local.get $cp) (local.get $acc3)))))
                  (else (v128.store32_lane 0 (local.get $cp) (local.get $acc3))))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $cols)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows)))
    (local.get $i))

  ;; Rows [start, start + count) of the product (start = startBytes / 4): the worker threads'
  ;; share of a product, which they call like the elementwise kernels (first argument offset by
  ;; 4 bytes per unit of work).
  (func (export "matmulRows")
    (param $startBytes i32) (param $count i32) (param $c i32) (param $a i32) (param $b i32) (param $kk i32)
    (param $n i32) (param $ai i32) (param $ak i32)
    (local $start i32)
    (local.set $start (i32.shr_u (local.get $startBytes) (i32.const 2)))
    (call $matmul
      (i32.add (local.get $c) (i32.mul (local.get $start) (i32.shl (local.get $n) (i32.const 2))))
      (i32.add (local.get $a) (i32.mul (local.get $start) (i32.shl (local.get $ai) (i32.const 2))))
      (local.get $b) (local.get $count) (local.get $kk) (local.get $n) (local.get $ai) (local.get $ak)))

  (func $matmul (export "matmulAccumulate")
    (param $c i32) (param $a i32) (param $b i32) (param $m i32) (param $kk i32) (param $n i32)
    (param $ai i32) (param $ak i32)
    (local $i i32) (local $j i32) (local $k i32) (local $rowBytes i32) (local $aiBytes i32) (local $akBytes i32)
    (local $ap i32) (local $bp i32) (local $cp i32) (local $wideEnd i32) (local $rest i32)
    (local $x0 f32) (local $s0 v128)
    (local $acc0_0 v128)
    (local $acc0_1 v128)
    (local $acc0_2 v128)
    (local $acc0_3 v128)
    (local $x1 f32) (local $s1 v128)
    (local $acc1_0 v128)
    (local $acc1_1 v128)
    (local $acc1_2 v128)
    (local $acc1_3 v128)
    (local $b0 v128)
    (local $b1 v128)
    (local $b2 v128)
    (local $b3 v128)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $aiBytes (i32.shl (local.get $ai) (i32.const 2)))
    (local.set $akBytes (i32.shl (local.get $ak) (i32.const 2)))
    (local.set $wideEnd (i32.sub (local.get $n) (i32.rem_u (local.get $n) (i32.const 16))))
    (local.set $i (i32.const 0))
    (block $blocksDone (loop $blocks
      (br_if $blocksDone (i32.gt_u (i32.add (local.get $i) (i32.const 2)) (local.get $m)))
      (local.set $j (i32.const 0))
      (block $colsDone (loop $cols
        (br_if $colsDone (i32.ge_u (local.get $j) (local.get $wideEnd)))
        (local.set $cp (i32.add (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $rowBytes))) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $acc0_0 (v128.load offset=0 (i32.add (local.get $cp) (i32.mul (i32.const 0) (local.get $rowBytes)))))
        (local.set $acc0_1 (v128.load offset=16 (i32.add (local.get $cp) (i32.mul (i32.const 0) (local.get $rowBytes)))))
        (local.set $acc0_2 (v128.load offset=32 (i32.add (local.get $cp) (i32.mul (i32.const 0) (local.get $rowBytes)))))
        (local.set $acc0_3 (v128.load offset=48 (i32.add (local.get $cp) (i32.mul (i32.const 0) (local.get $rowBytes)))))
        (local.set $acc1_0 (v128.load offset=0 (i32.add (local.get $cp) (i32.mul (i32.const 1) (local.get $rowBytes)))))
        (local.set $acc1_1 (v128.load offset=16 (i32.add (local.get $cp) (i32.mul (i32.const 1) (local.get $rowBytes)))))
        (local.set $acc1_2 (v128.load offset=32 (i32.add (local.get $cp) (i32.mul (i32.const 1) (local.get $rowBytes)))))
        (local.set $acc1_3 (v128.load offset=48 (i32.add (local.get $cp) (i32.mul (i32.const 1) (local.get $rowBytes)))))
        (local.set $ap (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aiBytes))))
        (local.set $bp (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $k (i32.const 0))
        (block $kDone (loop $ks
          (br_if $kDone (i32.ge_u (local.get $k) (local.get $kk)))
          (local.set $b0 (v128.load offset=0 (local.get $bp)))
          (local.set $b1 (v128.load offset=16 (local.get $bp)))
          (local.set $b2 (v128.load offset=32 (local.get $bp)))
          (local.set $b3 (v128.load offset=48 (local.get $bp)))
          (local.set $x0 (f32.load (i32.add (local.get $ap) (i32.mul (i32.const 0) (local.get $aiBytes)))))
          (if (f32.ne (local.get $x0) (f32.const 0)) (then
            (local.set $s0 (f32x4.splat (local.get $x0)))
            (local.set $acc0_0 (MADD32 (local.get $acc0_0) (local.get $s0) (local.get $b0)))
            (local.set $acc0_1 (MADD32 (local.get $acc0_1) (local.get $s0) (local.get $b1)))
            (local.set $acc0_2 (MADD32 (local.get $acc0_2) (local.get $s0) (local.get $b2)))
            (local.set $acc0_3 (MADD32 (local.get $acc0_3) (local.get $s0) (local.get $b3)))
          ))
          (local.set $x1 (f32.load (i32.add (local.get $ap) (i32.mul (i32.const 1) (local.get $aiBytes)))))
          (if (f32.ne (local.get $x1) (f32.const 0)) (then
            (local.set $s1 (f32x4.splat (local.get $x1)))
            (local.set $acc1_0 (MADD32 (local.get $acc1_0) (local.get $s1) (local.get $b0)))
            (local.set $acc1_1 (MADD32 (local.get $acc1_1) (local.get $s1) (local.get $b1)))
            (local.set $acc1_2 (MADD32 (local.get $acc1_2) (local.get $s1) (local.get $b2)))
            (local.set $acc1_3 (MADD32 (local.get $acc1_3) (local.get $s1) (local.get $b3)))
          ))
          (local.set $ap (i32.add (local.get $ap) (local.get $akBytes)))
          (local.set $bp (i32.add (local.get $bp) (local.get $rowBytes)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $ks)))
        (v128.store offset=0 (i32.add (local.get $cp) (i32.mul (i32.const 0) (local.get $rowBytes))) (local.get $acc0_0))
        (v128.store offset=16 (i32.add (local.get $cp) (i32.mul (i32.const 0) (local.get $rowBytes))) (local.get $acc0_1))
        (v128.store offset=32 (i32.add (local.get $cp) (i32.mul (i32.const 0) (local.get $rowBytes))) (local.get $acc0_2))
        (v128.store offset=48 (i32.add (local.get $cp) (i32.mul (i32.const 0) (local.get $rowBytes))) (local.get $acc0_3))
        (v128.store offset=0 (i32.add (local.get $cp) (i32.mul (i32.const 1) (local.get $rowBytes))) (local.get $acc1_0))
        (v128.store offset=16 (i32.add (local.get $cp) (i32.mul (i32.const 1) (local.get $rowBytes))) (local.get $acc1_1))
        (v128.store offset=32 (i32.add (local.get $cp) (i32.mul (i32.const 1) (local.get $rowBytes))) (local.get $acc1_2))
        (v128.store offset=48 (i32.add (local.get $cp) (i32.mul (i32.const 1) (local.get $rowBytes))) (local.get $acc1_3))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $cols)))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $blocks)))
    ;; The remaining columns of those rows, four rows at a time, then one at a time; then the
    ;; last row (when m is odd), every column.
    (local.set $rest
      (call $rowsBy4 (local.get $c) (local.get $a) (local.get $b) (i32.const 0) (local.get $i) (local.get $kk) (local.get $n) (local.get $ai) (local.get $ak) (local.get $wideEnd)))
    (call $rowsFrom (local.get $c) (local.get $a) (local.get $b) (local.get $rest) (local.get $i) (local.get $kk) (local.get $n) (local.get $ai) (local.get $ak) (local.get $wideEnd))
    (call $rowsFrom (local.get $c) (local.get $a) (local.get $b) (local.get $i) (local.get $m) (local.get $kk) (local.get $n) (local.get $ai) (local.get $ak) (i32.const 0)))

  ;; The element index of the first 4-lane block of x[0, n) holding a NaN or an infinity, or -1
  ;; (the caller finds the lane). |x| < inf is false exactly for NaN and ±inf.
  (func (export "firstNonFinite") (param $x i32) (param $n i32) (result i32)
    (local $o i32) (local $end i32) (local $inf v128)
    (local.set $inf (v128.const f32x4 inf inf inf inf))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $o (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (if (v128.any_true (v128.not (f32x4.lt (f32x4.abs (v128.load (i32.add (local.get $x) (local.get $o)))) (local.get $inf))))
          (then (return (i32.shr_u (local.get $o) (i32.const 2)))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $next)))
    (i32.const -1))

;; Stores 1 at byte offset $flag when some element of x[0, n) is NaN or infinite (n a multiple of
  ;; 4), leaving it alone otherwise: the runner's gradient check, split across threads (each
  ;; chunk may store the same 1). x - x is +0 (no bit set) for every finite x, subnormals
  ;; included, and NaN for NaN and ±inf, so or-ing the differences into four accumulators and
  ;; testing them once at the end finds any: two instructions per vector and no branch in the
  ;; loop (the test of the finite case is the common one; a bad element costs the rest of the scan).
  (func (export "anyNonFinite") (param $x i32) (param $n i32) (param $flag i32)
    (local $o i32) (local $end i32) (local $end16 i32) (local $v v128)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $end16 (i32.and (local.get $end) (i32.const -64)))
    (local.set $o (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end16)))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $o))))
        (local.set $a (v128.or (local.get $a) (f32x4.sub (local.get $v) (local.get $v))))
        (local.set $v (v128.load offset=16 (i32.add (local.get $x) (local.get $o))))
        (local.set $b (v128.or (local.get $b) (f32x4.sub (local.get $v) (local.get $v))))
        (local.set $v (v128.load offset=32 (i32.add (local.get $x) (local.get $o))))
        (local.set $c (v128.or (local.get $c) (f32x4.sub (local.get $v) (local.get $v))))
        (local.set $v (v128.load offset=48 (i32.add (local.get $x) (local.get $o))))
        (local.set $d (v128.or (local.get $d) (f32x4.sub (local.get $v) (local.get $v))))
        (local.set $o (i32.add (local.get $o) (i32.const 64)))
        (br $next)))
    (block $rest
      (loop $next
        (br_if $rest (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $o))))
        (local.set $a (v128.or (local.get $a) (f32x4.sub (local.get $v) (local.get $v))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $next)))
    (if (v128.any_true (v128.or (v128.or (local.get $a) (local.get $b)) (v128.or (local.get $c) (local.get $d))))
      (then (i32.store (local.get $flag) (i32.const 1)))))

  ;; Adam's memory traffic with the cheapest arithmetic (m += g, v += g, p -= g), for the
  ;; benchmark's streaming limit.
  ;; An Mlp's relu over x[0, n) into y (n a multiple of 4): y = x > 0 ? x : +0, the reference's
  ;; reluInto (NaN and -0 give +0), as a mask: the lanes where x > 0 keep x's bits, the others 0.
  (func (export "relu") (param $x i32) (param $y i32) (param $n i32)
    (local $o i32) (local $end i32) (local $v v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $o (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $o))))
        (v128.store (i32.add (local.get $y) (local.get $o))
          (v128.and (local.get $v) (f32x4.gt (local.get $v) (v128.const f32x4 0 0 0 0))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $next))))

  ;; Its backward pass over [0, n) (n a multiple of 4): out = sum · (z > 0 ? 1 : 0), the
  ;; reference's reluBackwardInto: a true float product by 1 or +0, so that a negative sum gives
  ;; -0 and a non-finite one NaN where z <= 0, as there.
  (func (export "reluBackward") (param $sum i32) (param $z i32) (param $out i32) (param $n i32)
    (local $o i32) (local $end i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $o (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (v128.store (i32.add (local.get $out) (local.get $o))
          (f32x4.mul
            (v128.load (i32.add (local.get $sum) (local.get $o)))
            (v128.and
              (v128.const f32x4 1 1 1 1)
              (f32x4.gt (v128.load (i32.add (local.get $z) (local.get $o))) (v128.const f32x4 0 0 0 0)))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $next))))

  (func (export "stream") (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32)
    (local $o i32) (local $end i32) (local $gv v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $o (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $gv (v128.load (i32.add (local.get $g) (local.get $o))))
        (v128.store (i32.add (local.get $m) (local.get $o))
          (f32x4.add (v128.load (i32.add (local.get $m) (local.get $o))) (local.get $gv)))
        (v128.store (i32.add (local.get $v) (local.get $o))
          (f32x4.add (v128.load (i32.add (local.get $v) (local.get $o))) (local.get $gv)))
        (v128.store (i32.add (local.get $p) (local.get $o))
          (f32x4.sub (v128.load (i32.add (local.get $p) (local.get $o))) (local.get $gv)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $next))))
)
