;; The O(D^2) loops of an online Bradley-Terry update (prefs/bradley-terry.ts), on 128-bit SIMD:
;; two doubles per instruction where V8's JIT does one. Each loop does the very operations of
;; its JavaScript twin, in the same order (multiply, then add or subtract: no fused multiply-add,
;; and the same four partial sums), so the results are equal bit for bit.
;;
;; Built into covariance-wasm.ts by `npm run build:kernels` (scripts/build-kernels.ts, wabt).
;; Pointers are byte offsets into the imported memory; matrices are D x D, row-major.
(module
  (import "kernel" "memory" (memory 1)) ;; made by the caller to fit D and its resident matrices
  ;; s[i] = sum_j cov[i*d + j] * x[j]: lanes a = (s0, s1), b = (s2, s3) over j, j+1, j+2, j+3;
  ;; the tail (d mod 4) into s0; then (s0 + s1) + (s2 + s3).
  (func (export "matvec") (param $c i32) (param $x i32) (param $s i32) (param $d i32)
    (local $i i32) (local $j i32) (local $row i32) (local $a v128) (local $b v128) (local $t f64) (local $end i32)
    (local.set $end (i32.and (local.get $d) (i32.const -4)))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $i) (local.get $d)))
      (local.set $row (i32.add (local.get $c) (i32.shl (i32.mul (local.get $i) (local.get $d)) (i32.const 3))))
      (local.set $a (v128.const f64x2 0 0))
      (local.set $b (v128.const f64x2 0 0))
      (local.set $j (i32.const 0))
      (block $vdone (loop $v
        (br_if $vdone (i32.ge_u (local.get $j) (local.get $end)))
        (local.set $a (f64x2.add (local.get $a) (f64x2.mul
          (v128.load (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 3))))
          (v128.load (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 3)))))))
        (local.set $b (f64x2.add (local.get $b) (f64x2.mul
          (v128.load offset=16 (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 3))))
          (v128.load offset=16 (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 3)))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $v)))
      (local.set $t (f64x2.extract_lane 0 (local.get $a)))
      (block $tdone (loop $tl
        (br_if $tdone (i32.ge_u (local.get $j) (local.get $d)))
        (local.set $t (f64.add (local.get $t) (f64.mul
          (f64.load (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 3))))
          (f64.load (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 3)))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $tl)))
      (f64.store (i32.add (local.get $s) (i32.shl (local.get $i) (i32.const 3)))
        (f64.add
          (f64.add (local.get $t) (f64x2.extract_lane 1 (local.get $a)))
          (f64.add (f64x2.extract_lane 0 (local.get $b)) (f64x2.extract_lane 1 (local.get $b)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rows))))
  ;; cov[i*d + j] -= (k * s[i]) * s[j], rows with k * s[i] = 0 left alone.
  (func (export "rankone") (param $c i32) (param $s i32) (param $k f64) (param $d i32)
    (local $i i32) (local $j i32) (local $row i32) (local $ki f64) (local $kv v128) (local $p i32) (local $end i32)
    (local.set $end (i32.and (local.get $d) (i32.const -2)))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $i) (local.get $d)))
      (local.set $ki (f64.mul (local.get $k) (f64.load (i32.add (local.get $s) (i32.shl (local.get $i) (i32.const 3))))))
      (if (f64.ne (local.get $ki) (f64.const 0)) (then
        (local.set $row (i32.add (local.get $c) (i32.shl (i32.mul (local.get $i) (local.get $d)) (i32.const 3))))
        (local.set $kv (f64x2.splat (local.get $ki)))
        (local.set $j (i32.const 0))
        (block $vdone (loop $v
          (br_if $vdone (i32.ge_u (local.get $j) (local.get $end)))
          (local.set $p (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 3))))
          (v128.store (local.get $p) (f64x2.sub (v128.load (local.get $p))
            (f64x2.mul (local.get $kv) (v128.load (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 3)))))))
          (local.set $j (i32.add (local.get $j) (i32.const 2)))
          (br $v)))
        (if (i32.lt_u (local.get $j) (local.get $d)) (then
          (local.set $p (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 3))))
          (f64.store (local.get $p) (f64.sub (f64.load (local.get $p))
            (f64.mul (local.get $ki) (f64.load (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 3))))))))
        )))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rows))))
)
