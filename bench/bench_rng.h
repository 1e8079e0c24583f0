/*
 * bench_rng.h -- the benchmarks' fixed pseudo-random generator (splitmix64), so that every run
 * measures the same data: rng() 64 random bits, unif() a double in [0, 1). Seed rng_state.
 */
#ifndef DOJO_BENCH_RNG_H
#define DOJO_BENCH_RNG_H

#include <stdint.h>

static uint64_t rng_state;

static inline uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline double unif(void) { return (double)(rng() >> 11) / 9007199254740992.0; }

#endif
