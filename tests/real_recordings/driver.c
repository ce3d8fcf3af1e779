/*
 * Independent meters for the real-recordings tier (tests/real_recordings/main.rs compiles this
 * with the system `cc driver.c -lebur128 -lsoxr -lm` and runs it once per corpus file).
 *
 * Usage: driver RATE CHANNELS ROLES TP_FACTOR < interleaved f32le (as `ffmpeg -f f32le` decodes)
 *   ROLES: the file's channels in order, comma-separated: L R C LFE Ls Rs (surrounds at
 *   +-110 deg) Lss Rss (sides at +-90) Lrs Rrs (rears at +-135..150) Cs (back centre) M (mono).
 *
 * Prints one JSON object:
 *   libebur128: integrated, lra, true_peak[] and sample_peak[] (linear), max_momentary and
 *     max_short_term (queried every 100 ms), with the channel map set from ROLES. Its LRA
 *     takes one short-term value per second (it resets its short-term counter to 2 s after each
 *     3 s value), below the 10 Hz of EBU Tech 3342, so the test reports it but checks LRA
 *     against ffmpeg's ebur128 filter (10 Hz) instead.
 *   own: BS.1770-5 computed here in double, independent of Mixmeter's code: K-weighting (the
 *     Annex 1 pre-filter and RLB high-pass, coefficients derived for RATE from the analog
 *     prototype by the bilinear transform), channel weights by BS.1770-5 (1.41 for the
 *     surrounds at 60-120 deg azimuth, 1.0 for the front, the rears beyond 120 deg and the back
 *     centre, LFE excluded), max_momentary and max_short_term over windows ending at EVERY
 *     sample (one-sample hop, the audio before the file taken as silence), and integrated
 *     loudness from 400 ms blocks every 100 ms with exact gating (no histogram), and a loudness
 *     range from short-term values every 100 ms (10 Hz, EBU Tech 3342), exact, no histogram.
 *   decoded_peak[]: max |sample| per channel of the decoded input (linear).
 *   reconstructed_peak[]: max |x| per channel after upsampling by TP_FACTOR with libsoxr (the
 *     resampler behind sox's `rate -v`), very high quality, linear phase, 99.7 % bandwidth,
 *     float in and double out: no dither and no clipping (sox itself would convert to 32-bit
 *     integers and clip everything over full scale, the very overs a true-peak meter exists for).
 */
#include <ebur128.h>
#include <math.h>
#include <soxr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CH 8

struct biquad { double b0, b1, b2, a1, a2, x1, x2, y1, y2; };

static double biquad_run(struct biquad *f, double x) {
  double y = f->b0 * x + f->b1 * f->x1 + f->b2 * f->x2 - f->a1 * f->y1 - f->a2 * f->y2;
  f->x2 = f->x1; f->x1 = x; f->y2 = f->y1; f->y1 = y;
  return y;
}

/* BS.1770-5 Annex 1: stage 1, a high shelf (+4 dB); stage 2, the RLB high-pass. The analog
 * prototype's parameters are the ones that reproduce the recommendation's 48 kHz tables. */
static void k_weighting(double rate, struct biquad *shelf, struct biquad *highpass) {
  const double f0 = 1681.974450955533, gain_db = 3.999843853973347, q = 0.7071752369554196;
  double k = tan(M_PI * f0 / rate);
  double vh = pow(10.0, gain_db / 20.0), vb = pow(vh, 0.4996667741545416);
  double a0 = 1.0 + k / q + k * k;
  memset(shelf, 0, sizeof *shelf);
  shelf->b0 = (vh + vb * k / q + k * k) / a0;
  shelf->b1 = 2.0 * (k * k - vh) / a0;
  shelf->b2 = (vh - vb * k / q + k * k) / a0;
  shelf->a1 = 2.0 * (k * k - 1.0) / a0;
  shelf->a2 = (1.0 - k / q + k * k) / a0;
  const double f1 = 38.13547087602444, q1 = 0.5003270373238773;
  k = tan(M_PI * f1 / rate);
  memset(highpass, 0, sizeof *highpass);
  highpass->b0 = 1.0; highpass->b1 = -2.0; highpass->b2 = 1.0;
  highpass->a1 = 2.0 * (k * k - 1.0) / (1.0 + k / q1 + k * k);
  highpass->a2 = (1.0 - k / q1 + k * k) / (1.0 + k / q1 + k * k);
}

/* A sum over the last `len` values, one value per sample, re-summed exactly every `len`. */
struct window { double *ring; size_t len, pos; double sum; double max_sum; };

static void window_push(struct window *w, double v) {
  w->sum += v - w->ring[w->pos];
  w->ring[w->pos] = v;
  if (++w->pos == w->len) {
    w->pos = 0;
    double exact = 0.0;
    for (size_t i = 0; i < w->len; i++) exact += w->ring[i];
    w->sum = exact;
  }
  if (w->sum > w->max_sum) w->max_sum = w->sum;
}

static double lufs(double energy) { return -0.691 + 10.0 * log10(energy); }

static void print_lufs(const char *name, double value, const char *sep) {
  if (isfinite(value) && value >= -70.0) printf("\"%s\":%.6f%s", name, value, sep);
  else printf("\"%s\":null%s", name, sep);
}

static void print_array(const char *name, const double *v, int n, const char *sep) {
  printf("\"%s\":[", name);
  for (int i = 0; i < n; i++) printf("%.9g%s", v[i], i + 1 < n ? "," : "");
  printf("]%s", sep);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Exact BS.1770-5 gating over the block energies. */
static double gated_integrated(double *blocks, size_t n) {
  double sum = 0.0; size_t count = 0;
  double abs_gate = pow(10.0, (-70.0 + 0.691) / 10.0);
  for (size_t i = 0; i < n; i++) if (blocks[i] > abs_gate) { sum += blocks[i]; count++; }
  if (count == 0) return -INFINITY;
  double rel_gate = sum / count * pow(10.0, -10.0 / 10.0);
  sum = 0.0; count = 0;
  for (size_t i = 0; i < n; i++) if (blocks[i] > abs_gate && blocks[i] > rel_gate) { sum += blocks[i]; count++; }
  return count ? lufs(sum / count) : -INFINITY;
}

/* EBU Tech 3342: short-term values gated at -70 LUFS and 20 LU below their mean energy, the
 * 10th to 95th percentile (indices rounded as libebur128 does). */
static double loudness_range(double *values, size_t n) {
  double abs_gate = pow(10.0, (-70.0 + 0.691) / 10.0), sum = 0.0;
  size_t count = 0;
  for (size_t i = 0; i < n; i++) if (values[i] > abs_gate) { sum += values[i]; count++; }
  if (count == 0) return NAN;
  double rel_gate = sum / count * pow(10.0, -20.0 / 10.0);
  double *kept = malloc(n * sizeof(double));
  size_t k = 0;
  for (size_t i = 0; i < n; i++) if (values[i] > abs_gate && values[i] >= rel_gate) kept[k++] = lufs(values[i]);
  qsort(kept, k, sizeof(double), cmp_double);
  double range = k ? kept[(size_t)((k - 1) * 0.95 + 0.5)] - kept[(size_t)((k - 1) * 0.10 + 0.5)] : NAN;
  free(kept);
  return range;
}

int main(int argc, char **argv) {
  if (argc != 5) { fprintf(stderr, "usage: driver RATE CHANNELS ROLES TP_FACTOR\n"); return 2; }
  unsigned long rate = strtoul(argv[1], NULL, 10);
  int channels = atoi(argv[2]);
  unsigned factor = (unsigned)atoi(argv[4]);
  if (channels < 1 || channels > MAX_CH || rate < 1000 || factor < 1) return 2;

  int map[MAX_CH]; double weight[MAX_CH];
  char roles[256]; strncpy(roles, argv[3], sizeof roles - 1); roles[sizeof roles - 1] = 0;
  int n = 0;
  for (char *t = strtok(roles, ","); t && n < MAX_CH; t = strtok(NULL, ","), n++) {
    struct { const char *name; int channel; double weight; } table[] = {
      {"L", EBUR128_Mp030, 1.0}, {"R", EBUR128_Mm030, 1.0}, {"C", EBUR128_Mp000, 1.0},
      {"M", EBUR128_Mp000, 1.0}, {"LFE", EBUR128_UNUSED, 0.0},
      {"Ls", EBUR128_Mp110, 1.41}, {"Rs", EBUR128_Mm110, 1.41},
      {"Lss", EBUR128_Mp090, 1.41}, {"Rss", EBUR128_Mm090, 1.41},
      {"Lrs", EBUR128_Mp135, 1.0}, {"Rrs", EBUR128_Mm135, 1.0}, {"Cs", EBUR128_Mp180, 1.0},
    };
    int found = 0;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
      if (!strcmp(t, table[i].name)) { map[n] = table[i].channel; weight[n] = table[i].weight; found = 1; }
    if (!found) { fprintf(stderr, "driver: unknown role %s\n", t); return 2; }
  }
  if (n != channels) { fprintf(stderr, "driver: %d roles for %d channels\n", n, channels); return 2; }

  ebur128_state *st = ebur128_init(channels, rate,
      EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_M | EBUR128_MODE_S |
      EBUR128_MODE_SAMPLE_PEAK | EBUR128_MODE_TRUE_PEAK);
  if (!st) return 3;
  for (int c = 0; c < channels; c++) ebur128_set_channel(st, c, map[c]);

  soxr_error_t err;
  soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT64_I);
  soxr_quality_spec_t quality = soxr_quality_spec(SOXR_VHQ, SOXR_LINEAR_PHASE);
  quality.passband_end = 0.997;
  soxr_t soxr = soxr_create((double)rate, (double)rate * factor, channels, &err, &io, &quality, NULL);
  if (err) { fprintf(stderr, "driver: soxr: %s\n", err); return 3; }

  struct biquad shelf[MAX_CH], highpass[MAX_CH];
  for (int c = 0; c < channels; c++) k_weighting((double)rate, &shelf[c], &highpass[c]);
  size_t hop = (rate + 5) / 10;               /* 100 ms, as libebur128 rounds it */
  struct window momentary = { calloc(4 * hop, sizeof(double)), 4 * hop, 0, 0.0, 0.0 };
  struct window short_term = { calloc(30 * hop, sizeof(double)), 30 * hop, 0, 0.0, 0.0 };
  size_t blocks_cap = 1024, blocks_len = 0;
  double *blocks = malloc(blocks_cap * sizeof(double));
  size_t st_cap = 1024, st_len = 0;
  double *st_values = malloc(st_cap * sizeof(double));

  float *in = malloc(hop * channels * sizeof(float));
  size_t out_cap = (hop * factor + 4096);
  double *out = malloc(out_cap * channels * sizeof(double));
  double decoded_peak[MAX_CH] = {0}, recon_peak[MAX_CH] = {0};
  double ebu_max_m = -INFINITY, ebu_max_s = -INFINITY;
  unsigned long long frames = 0;

  for (;;) {
    size_t got = fread(in, sizeof(float) * channels, hop, stdin);
    if (got == 0) break;
    ebur128_add_frames_float(st, in, got);
    double m, s;
    if (ebur128_loudness_momentary(st, &m) == EBUR128_SUCCESS && m > ebu_max_m) ebu_max_m = m;
    if (ebur128_loudness_shortterm(st, &s) == EBUR128_SUCCESS && s > ebu_max_s) ebu_max_s = s;
    for (size_t i = 0; i < got; i++) {
      double power = 0.0;
      for (int c = 0; c < channels; c++) {
        double x = in[i * channels + c];
        if (fabs(x) > decoded_peak[c]) decoded_peak[c] = fabs(x);
        double y = biquad_run(&highpass[c], biquad_run(&shelf[c], x));
        power += weight[c] * y * y;
      }
      window_push(&momentary, power);
      window_push(&short_term, power);
      frames++;
      if (frames % hop == 0 && frames >= momentary.len) {
        if (blocks_len == blocks_cap) blocks = realloc(blocks, (blocks_cap *= 2) * sizeof(double));
        blocks[blocks_len++] = momentary.sum / momentary.len;
      }
      if (frames % hop == 0 && frames >= short_term.len) {
        if (st_len == st_cap) st_values = realloc(st_values, (st_cap *= 2) * sizeof(double));
        st_values[st_len++] = short_term.sum / short_term.len;
      }
    }
    size_t done_in = 0;
    while (done_in < got) {
      size_t idone = 0, odone = 0;
      soxr_process(soxr, in + done_in * channels, got - done_in, &idone, out, out_cap, &odone);
      done_in += idone;
      for (size_t i = 0; i < odone * channels; i++)
        if (fabs(out[i]) > recon_peak[i % channels]) recon_peak[i % channels] = fabs(out[i]);
    }
    if (got < hop) break;
  }
  for (;;) {  /* flush the resampler's tail */
    size_t odone = 0;
    soxr_process(soxr, NULL, 0, NULL, out, out_cap, &odone);
    if (odone == 0) break;
    for (size_t i = 0; i < odone * channels; i++)
      if (fabs(out[i]) > recon_peak[i % channels]) recon_peak[i % channels] = fabs(out[i]);
  }

  double integrated, lra, tp[MAX_CH], sp[MAX_CH];
  if (ebur128_loudness_global(st, &integrated) != EBUR128_SUCCESS) integrated = -INFINITY;
  if (ebur128_loudness_range(st, &lra) != EBUR128_SUCCESS) lra = NAN;
  for (int c = 0; c < channels; c++) {
    ebur128_true_peak(st, c, &tp[c]);
    ebur128_sample_peak(st, c, &sp[c]);
  }
  printf("{\"frames\":%llu,\"tp_factor\":%u,\"libebur128\":{", frames, factor);
  print_lufs("integrated", integrated, ",");
  if (isfinite(lra)) printf("\"lra\":%.6f,", lra); else printf("\"lra\":null,");
  print_array("true_peak", tp, channels, ",");
  print_array("sample_peak", sp, channels, ",");
  print_lufs("max_momentary", ebu_max_m, ",");
  print_lufs("max_short_term", ebu_max_s, "");
  printf("},\"own\":{");
  print_lufs("integrated", gated_integrated(blocks, blocks_len), ",");
  print_lufs("max_momentary", lufs(momentary.max_sum / momentary.len), ",");
  print_lufs("max_short_term", lufs(short_term.max_sum / short_term.len), ",");
  double own_lra = loudness_range(st_values, st_len);
  if (isfinite(own_lra)) printf("\"lra_10hz\":%.6f", own_lra); else printf("\"lra_10hz\":null");
  printf("},");
  print_array("decoded_peak", decoded_peak, channels, ",");
  print_array("reconstructed_peak", recon_peak, channels, "");
  printf("}\n");
  ebur128_destroy(&st);
  soxr_delete(soxr);
  return 0;
}
