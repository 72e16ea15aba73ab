/* random.c -- see random.h. Algorithms by Blackman and Vigna (public domain). */
#include "random.h"

static uint64_t rotate_left(uint64_t value, int shift) {
    return (value << shift) | (value >> (64 - shift));
}

/* Seeds the four state words from one number through SplitMix64. */
void random_seed(struct random *random, uint64_t seed) {
    for (int i = 0; i < 4; i++) {
        uint64_t z = (seed += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        random->state[i] = z ^ (z >> 31);
    }
}

/* The next 64 random bits (xoshiro256**). */
uint64_t random_next(struct random *random) {
    uint64_t *s = random->state;
    uint64_t result = rotate_left(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotate_left(s[3], 45);
    return result;
}

/* Uniform in [0, bound); bound must be positive. Lemire's multiply-shift
 * (the tiny bias is irrelevant for test data). */
uint64_t random_below(struct random *random, uint64_t bound) {
    return (uint64_t)(((unsigned __int128)random_next(random) * bound) >> 64);
}

/* Uniform in [0, 1). */
double random_unit(struct random *random) {
    return (double)(random_next(random) >> 11) * 0x1.0p-53;
}

/* Uniform in [low, high]. */
int64_t random_between(struct random *random, int64_t low, int64_t high) {
    return low + (int64_t)random_below(random, (uint64_t)(high - low) + 1);
}
