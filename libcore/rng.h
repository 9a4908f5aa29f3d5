/*
 * rng.h - a seeded, platform-independent random number generator
 * (xoshiro256** seeded by splitmix64), so the same seed gives the same
 * parameters and the same bytes in every dataset on every machine.
 */
#ifndef RNNBOW_RNG_H
#define RNNBOW_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double rng_uniform(struct rng *r);
/* Standard normal by Box-Muller (one value per call, no hidden cache, so
 * the state is exactly the four words above). */
double rng_normal(struct rng *r);

#endif
