/*
 * fastmath.h - exp, tanh and sigmoid for the model, written so that GCC
 * vectorises loops over them (libm's tanhf/expf are calls, and were a
 * third of training time). Accuracy, checked in tests/test_core.c against
 * double precision over [-20, 20]: relative error below 5e-7 (a few ulp).
 *
 * exp: x = k ln2 + r with |r| <= ln2/2, e^r by its Taylor series to r^7
 * (truncation < 6e-9), 2^k by building the float's exponent bits.
 * tanh: odd Taylor series to x^15 for |x| < 0.55 (no cancellation), else
 * 1 - 2 / (e^{2|x|} + 1) with the sign put back.
 */
#ifndef RNNBOW_FASTMATH_H
#define RNNBOW_FASTMATH_H

#include <stdint.h>
#include <string.h>

/* Element-wise hot loops are built twice, for AVX2 and for the x86-64
 * baseline, and the loader picks one (GCC function multiversioning). Only
 * +, *, / and sqrt are used, which IEEE rounds the same at any width, so
 * both give the same bytes. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(RNNBOW_NO_CLONES)
#define HOT_LOOPS __attribute__((target_clones("avx2", "default")))
#else
#define HOT_LOOPS
#endif

static inline float fast_expf(float x)
{
	const float log2e = 1.44269504088896341f;
	const float ln2_hi = 0.693145751953125f, ln2_lo = 1.42860682030941723212e-6f;
	const float round = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
	x = x < -87.0f ? -87.0f : x;
	x = x > 88.0f ? 88.0f : x;
	float k = (x * log2e + round) - round;
	float r = (x - k * ln2_hi) - k * ln2_lo;
	float p = 1.0f / 5040;
	p = p * r + 1.0f / 720;
	p = p * r + 1.0f / 120;
	p = p * r + 1.0f / 24;
	p = p * r + 1.0f / 6;
	p = p * r + 0.5f;
	p = p * r + 1.0f;
	p = p * r + 1.0f;
	int32_t bits = ((int32_t)k + 127) << 23;
	float scale;
	memcpy(&scale, &bits, sizeof(scale));
	return p * scale;
}

static inline float fast_tanhf(float x)
{
	float a = x < 0 ? -x : x;
	/* small |x|: x + x^3 (-1/3 + x^2 (2/15 + ...)) */
	float z = a * a;
	/* in double: 638512875 has no exact float (the rounded quotient is the same) */
	float s = (float)(929569.0 / 638512875.0);
	s = s * z - 21844.0f / 6081075;
	s = s * z + 1382.0f / 155925;
	s = s * z - 62.0f / 2835;
	s = s * z + 17.0f / 315;
	s = s * z - 2.0f / 15;
	s = s * z + 1.0f / 3;
	float small = a - a * z * s;
	float large = 1.0f - 2.0f / (fast_expf(2.0f * a) + 1.0f);
	float t = a < 0.55f ? small : large;
	return x < 0 ? -t : t;
}

static inline float fast_sigmoidf(float x)
{
	return 1.0f / (1.0f + fast_expf(-x));
}

#endif
