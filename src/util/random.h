/* random.h -- a small deterministic PRNG (SplitMix64 seeding xoshiro256**),
 * so generated data depends only on the seed, never on the platform. */
#ifndef MARTLET_RANDOM_H
#define MARTLET_RANDOM_H

#include <stdint.h>

struct random {
    uint64_t state[4];
};

void random_seed(struct random *random, uint64_t seed);
uint64_t random_next(struct random *random);
uint64_t random_below(struct random *random, uint64_t bound);
double random_unit(struct random *random);
int64_t random_between(struct random *random, int64_t low, int64_t high);

#endif
