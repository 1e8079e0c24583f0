/*
 * geometry.c -- metrics over directions and boxes:
 *   mean_angular_error  icecube-neutrinos-in-deep-ice (NUMERIC, 2 columns: azimuth, zenith)
 *   voc_map_50          siim-covid19-detection: PASCAL VOC mAP at IoU > 0.5 (TEXT)
 *   voc_map_40          vinbigdata-chest-xray-abnormalities-detection: the same at IoU > 0.4
 *
 * Theory of operation: the angular error is IceCube's published angular_dist_score: both
 * directions to unit vectors, the dot product clipped to [-1, 1], arccos, the mean. The VOC
 * mAP reads every row's boxes "class conf xmin ymin xmax ymax ..." (the answers in the same
 * format, their conf ignored) into one array, sorts the predictions of each class by
 * descending confidence (stable) and walks them as the VOC 2010 devkit does: a prediction
 * is a true positive when the answer box of its class and image with the highest IoU has
 * IoU > the threshold and is not yet taken, else a false positive; AP is the area under the
 * precision envelope at every recall step (all-point interpolation); the metric is the mean
 * AP over the classes that have answer boxes. Boxes are continuous (area = width * height,
 * no +1 pixel convention). O(d g) per class for d predictions and g answer boxes of an image.
 */
#include <stdlib.h>

#include "metrics_internal.h"

/* mean_angular_error: y and p are n x 2 (azimuth, zenith) in radians. */
int djm_mean_angular_error(const djm_num *in, double *out, char *err, size_t errlen)
{
    if (in->k != 2)
        return dj_err(err, errlen, "mean_angular_error needs 2 columns (azimuth, zenith), got %zu",
                      in->k);
    djm_sum s = {0, 0};
    for (size_t i = 0; i < in->n; i++) {
        const double *y = in->y + 2 * i, *p = in->p + 2 * i;
        double x1 = sin(y[1]) * cos(y[0]), y1 = sin(y[1]) * sin(y[0]), z1 = cos(y[1]);
        double x2 = sin(p[1]) * cos(p[0]), y2 = sin(p[1]) * sin(p[0]), z2 = cos(p[1]);
        double d = x1 * x2 + y1 * y2 + z1 * z2;
        if (d > 1)
            d = 1;
        if (d < -1)
            d = -1;
        djm_add(&s, fabs(acos(d)));
    }
    *out = djm_total(&s) / (double)in->n;
    return 0;
}

typedef struct vbox {
    double conf, x1, y1, x2, y2;
    size_t row, cls, order;
    int taken;
} vbox;

typedef struct vctx {
    djm_span *sp;
    size_t spcap;
    const char **cname; /* class names (pointers into the row strings) */
    size_t *clen, ncls, ccap, clcap;
    vbox *gt, *dt;
    size_t ngt, gtcap, ndt, dtcap;
} vctx;

static size_t class_id(vctx *c, const char *s, size_t len)
{
    for (size_t i = 0; i < c->ncls; i++)
        if (c->clen[i] == len && memcmp(c->cname[i], s, len) == 0)
            return i;
    if (dj_grow((void **)&c->cname, &c->ccap, c->ncls + 1, sizeof *c->cname) < 0 ||
        dj_grow((void **)&c->clen, &c->clcap, c->ncls + 1, sizeof *c->clen) < 0)
        return (size_t)-1;
    c->cname[c->ncls] = s;
    c->clen[c->ncls] = len;
    return c->ncls++;
}

static int parse_vboxes(vctx *c, const char *s, size_t len, size_t row, int pred, char *err,
                        size_t errlen)
{
    const char *what = pred ? "prediction" : "answer";
    size_t nt = djm_split(s, len, &c->sp, &c->spcap);
    if (nt == (size_t)-1)
        return DJM_OOM(err, errlen);
    if (nt % 6)
        return dj_err(err, errlen, "row %zu: the %s holds %zu values, not groups of six (class "
                      "conf xmin ymin xmax ymax)", row, what, nt);
    for (size_t b = 0; b < nt / 6; b++) {
        double v[5];
        for (int q = 0; q < 5; q++) {
            const djm_span *t = &c->sp[b * 6 + 1 + (size_t)q];
            char tok[64];
            char *end;
            if (t->len == 0 || t->len >= sizeof tok)
                return dj_err(err, errlen, "row %zu: the %s holds a number too long to read", row,
                              what);
            memcpy(tok, s + t->off, t->len);
            tok[t->len] = 0;
            v[q] = dj_strtod(tok, &end);
            if (*end || !isfinite(v[q]))
                return dj_err(err, errlen, "row %zu: the %s holds '%s', not a finite number", row,
                              what, tok);
        }
        if (v[3] < v[1] || v[4] < v[2])
            return dj_err(err, errlen, "row %zu: box %zu of the %s has xmax < xmin or ymax < ymin",
                          row, b + 1, what);
        size_t cls = class_id(c, s + c->sp[b * 6].off, c->sp[b * 6].len);
        if (cls == (size_t)-1)
            return DJM_OOM(err, errlen);
        vbox **arr = pred ? &c->dt : &c->gt;
        size_t *n = pred ? &c->ndt : &c->ngt, *cap = pred ? &c->dtcap : &c->gtcap;
        if (dj_grow((void **)arr, cap, *n + 1, sizeof **arr) < 0)
            return DJM_OOM(err, errlen);
        size_t at = (*n)++;
        (*arr)[at] = (vbox){v[0], v[1], v[2], v[3], v[4], row, cls, at, 0};
    }
    return 0;
}

/* by class, then row (answers); by class, then descending confidence, then order (predictions) */
static int gt_cmp(const void *p, const void *q)
{
    const vbox *a = p, *b = q;
    if (a->cls != b->cls)
        return a->cls < b->cls ? -1 : 1;
    if (a->row != b->row)
        return a->row < b->row ? -1 : 1;
    return (a->order > b->order) - (a->order < b->order);
}

static int dt_cmp(const void *p, const void *q)
{
    const vbox *a = p, *b = q;
    if (a->cls != b->cls)
        return a->cls < b->cls ? -1 : 1;
    if (a->conf != b->conf)
        return a->conf < b->conf ? 1 : -1;
    return (a->order > b->order) - (a->order < b->order);
}

static double viou(const vbox *a, const vbox *b)
{
    double iw = (a->x2 < b->x2 ? a->x2 : b->x2) - (a->x1 > b->x1 ? a->x1 : b->x1);
    double ih = (a->y2 < b->y2 ? a->y2 : b->y2) - (a->y1 > b->y1 ? a->y1 : b->y1);
    if (iw <= 0 || ih <= 0)
        return 0;
    double inter = iw * ih;
    double uni = (a->x2 - a->x1) * (a->y2 - a->y1) + (b->x2 - b->x1) * (b->y2 - b->y1) - inter;
    return uni > 0 ? inter / uni : 0;
}

static int voc_map(const djm_txt *in, double thr, double *out, char *err, size_t errlen)
{
    vctx c;
    memset(&c, 0, sizeof c);
    int rc = 0;
    double *tp = NULL;
    for (size_t i = 0; i < in->n && rc == 0; i++) {
        rc = parse_vboxes(&c, in->yd + in->yo[i], (size_t)(in->yo[i + 1] - in->yo[i]), i, 0, err,
                          errlen);
        if (rc == 0)
            rc = parse_vboxes(&c, in->pd + in->po[i], (size_t)(in->po[i + 1] - in->po[i]), i, 1,
                              err, errlen);
    }
    if (rc == 0 && c.ngt == 0)
        rc = dj_err(err, errlen, "%s is undefined when the answers hold no boxes", in->name);
    if (rc == 0 && !(tp = malloc((c.ndt + 1) * sizeof *tp)))
        rc = DJM_OOM(err, errlen);
    if (rc == 0) {
        qsort(c.gt, c.ngt, sizeof *c.gt, gt_cmp);
        qsort(c.dt, c.ndt, sizeof *c.dt, dt_cmp);
        djm_sum s = {0, 0};
        size_t classes = 0, g0 = 0, d0 = 0;
        while (g0 < c.ngt) {
            size_t cls = c.gt[g0].cls, g1 = g0;
            while (g1 < c.ngt && c.gt[g1].cls == cls)
                g1++;
            while (d0 < c.ndt && c.dt[d0].cls < cls)
                d0++;
            size_t d1 = d0;
            while (d1 < c.ndt && c.dt[d1].cls == cls)
                d1++;
            /* match in confidence order */
            for (size_t d = d0; d < d1; d++) {
                /* the answer boxes of this image: binary search on row within [g0, g1) */
                size_t lo = g0, hi = g1;
                while (lo < hi) {
                    size_t mid = lo + (hi - lo) / 2;
                    if (c.gt[mid].row < c.dt[d].row)
                        lo = mid + 1;
                    else
                        hi = mid;
                }
                double best = -1;
                size_t arg = 0;
                for (size_t g = lo; g < g1 && c.gt[g].row == c.dt[d].row; g++) {
                    double o = viou(&c.dt[d], &c.gt[g]);
                    if (o > best) {
                        best = o;
                        arg = g;
                    }
                }
                tp[d - d0] = 0;
                if (best > thr && !c.gt[arg].taken) {
                    c.gt[arg].taken = 1;
                    tp[d - d0] = 1;
                }
            }
            /* AP: all-point interpolation over the precision envelope */
            double npos = (double)(g1 - g0), ctp = 0;
            size_t nd = d1 - d0;
            /* precision at each step, then its running maximum from the end */
            for (size_t d = 0; d < nd; d++) {
                ctp += tp[d];
                tp[d] = tp[d] ? -(ctp / (double)(d + 1)) - 1 : ctp / (double)(d + 1);
            }
            /* tp[d] < -0.5 marks a hit (encoded -(prec) - 1); recover and accumulate */
            double ap = 0, env = 0;
            for (size_t d = nd; d-- > 0;) {
                int hit = tp[d] < -0.5;
                double prec = hit ? -(tp[d] + 1) : tp[d];
                if (prec > env)
                    env = prec;
                if (hit)
                    ap += env / npos; /* each hit raises recall by 1 / npos */
            }
            djm_add(&s, ap);
            classes++;
            g0 = g1;
            d0 = d1;
        }
        *out = djm_total(&s) / (double)classes;
    }
    free(tp);
    free(c.sp);
    free(c.cname);
    free(c.clen);
    free(c.gt);
    free(c.dt);
    return rc;
}

int djm_voc_map_50(const djm_txt *in, double *out, char *err, size_t errlen)
{
    return voc_map(in, 0.5, out, err, errlen);
}

int djm_voc_map_40(const djm_txt *in, double *out, char *err, size_t errlen)
{
    return voc_map(in, 0.4, out, err, errlen);
}
