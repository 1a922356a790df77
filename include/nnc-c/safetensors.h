/*===- nnc-c/safetensors.h - safetensors files from C, header only --------===*
 *
 * Writes a list of named f32/f64 tensors to a safetensors file (the
 * checkpoint format of PyTorch and Hugging Face, and of `nnc train --save`)
 * and reads one tensor back by name. Include it in any number of C or C++
 * files; every function is `static inline`, so there is nothing to link.
 *
 *   int64_t shape[2] = {784, 100};
 *   nnc_st_tensor t[] = {{"fc1.W", NNC_ST_F32, 2, shape, params.fc1_W}};
 *   char err[256];
 *   if (nnc_st_write("model.safetensors", t, 1, err, sizeof err) != 0)
 *     fprintf(stderr, "%s\n", err);
 *
 *   nnc_st_array a;
 *   if (nnc_st_read("model.safetensors", "fc1.W", &a, err, sizeof err) == 0) {
 *     ... a.dtype, a.rank, a.shape, a.count, a.data ...
 *     nnc_st_free(&a);
 *   }
 *
 * Every function returns 0 on success and -1 on failure, with a message
 * naming the file in `err` (when `err` is not NULL).
 *
 * Limits, by design of a small reader:
 *  - element types F32 and F64 only (the C++ library, lib/Data, also reads
 *    I32, I64 and U8); little-endian hosts only (checked at run time);
 *  - at most NNC_ST_MAX_RANK dimensions;
 *  - tensor names are matched byte for byte against the JSON text: a name
 *    the writer of the file escaped (a quote, a backslash, a control
 *    character) is not found. The writer refuses such names;
 *  - the reader checks what it needs for the tensor it reads (its dtype,
 *    that its offsets match dtype x shape and lie inside the file), not the
 *    rest of the file; lib/Data's reader validates whole files.
 *
 * The writer lays out tensors as the reference implementation does (F64
 * before F32, so each is aligned to its element size), pads the JSON
 * header with spaces to a multiple of 8, and writes through a temporary
 * file renamed into place, so a failed write leaves no half file.
 *
 *===----------------------------------------------------------------------===*/
#ifndef NNC_C_SAFETENSORS_H
#define NNC_C_SAFETENSORS_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NNC_ST_MAX_RANK 8
/* The largest JSON header read, as in the reference implementation. */
#define NNC_ST_MAX_HEADER 100000000u

typedef enum { NNC_ST_F32 = 0, NNC_ST_F64 = 1 } nnc_st_dtype;

/* A tensor to write: `rank` dimensions in `shape`, the elements row-major
 * at `data` (float for NNC_ST_F32, double for NNC_ST_F64). */
typedef struct {
  const char *name;
  nnc_st_dtype dtype;
  int rank;
  const int64_t *shape;
  const void *data;
} nnc_st_tensor;

/* A tensor read back: `count` elements at `data`, which nnc_st_free
 * releases. */
typedef struct {
  nnc_st_dtype dtype;
  int rank;
  int64_t shape[NNC_ST_MAX_RANK];
  size_t count;
  void *data;
} nnc_st_array;

#if defined(__GNUC__)
#define NNC_ST__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define NNC_ST__PRINTF(f, a)
#endif

NNC_ST__PRINTF(3, 4)
static inline int nnc_st__fail(char *err, size_t err_size, const char *fmt,
                               ...) {
  if (err && err_size) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
  }
  return -1;
}

static inline int nnc_st__little_endian(void) {
  uint16_t one = 1;
  unsigned char first;
  memcpy(&first, &one, 1);
  return first == 1;
}

static inline size_t nnc_st__dtype_size(nnc_st_dtype t) {
  return t == NNC_ST_F64 ? 8 : 4;
}

/* The element count of `shape`, or -1 when a dimension is negative or the
 * byte size would not fit in 63 bits. */
static inline int64_t nnc_st__count(int rank, const int64_t *shape) {
  int64_t n = 1;
  int i;
  for (i = 0; i < rank; ++i) {
    if (shape[i] < 0)
      return -1;
    if (shape[i] != 0 && n > (INT64_MAX / 8) / shape[i])
      return -1;
    n *= shape[i];
  }
  return n;
}

/* A growing string for the JSON header. */
typedef struct {
  char *text;
  size_t len, cap;
  int failed;
} nnc_st__buf;

NNC_ST__PRINTF(2, 3)
static inline void nnc_st__append(nnc_st__buf *b, const char *fmt, ...) {
  va_list ap;
  int n;
  if (b->failed)
    return;
  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->failed = 1;
    return;
  }
  if (b->len + (size_t)n + 1 > b->cap) {
    size_t cap = (b->len + (size_t)n + 1) * 2;
    char *text = (char *)realloc(b->text, cap);
    if (!text) {
      b->failed = 1;
      return;
    }
    b->text = text;
    b->cap = cap;
  }
  va_start(ap, fmt);
  vsnprintf(b->text + b->len, b->cap - b->len, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

/* Writes `n` tensors to `path`. */
static inline int nnc_st_write(const char *path, const nnc_st_tensor *tensors,
                               size_t n, char *err, size_t err_size) {
  nnc_st__buf b = {NULL, 0, 0, 0};
  uint64_t offset = 0, header_len;
  size_t i, j;
  int pass, d, ok;
  char *tmp;
  FILE *f;
  if (!nnc_st__little_endian())
    return nnc_st__fail(err, err_size, "%s: cannot write: big-endian host",
                        path);
  for (i = 0; i < n; ++i) {
    const char *name = tensors[i].name;
    const unsigned char *c;
    if (!name || !*name)
      return nnc_st__fail(err, err_size,
                          "%s: cannot write: tensor %zu has no name", path, i);
    for (c = (const unsigned char *)name; *c; ++c)
      if (*c < 0x20 || *c == '"' || *c == '\\')
        return nnc_st__fail(err, err_size,
                            "%s: cannot write: tensor name '%s' holds a "
                            "quote, a backslash or a control character",
                            path, name);
    if (strcmp(name, "__metadata__") == 0)
      return nnc_st__fail(err, err_size,
                          "%s: cannot write: '__metadata__' cannot name a "
                          "tensor",
                          path);
    for (j = 0; j < i; ++j)
      if (strcmp(tensors[j].name, name) == 0)
        return nnc_st__fail(err, err_size,
                            "%s: cannot write: two tensors are named '%s'",
                            path, name);
    if (tensors[i].dtype != NNC_ST_F32 && tensors[i].dtype != NNC_ST_F64)
      return nnc_st__fail(err, err_size,
                          "%s: cannot write: tensor '%s' has an unknown dtype",
                          path, name);
    if (tensors[i].rank < 0 || tensors[i].rank > NNC_ST_MAX_RANK ||
        (tensors[i].rank > 0 && !tensors[i].shape) ||
        nnc_st__count(tensors[i].rank, tensors[i].shape) < 0)
      return nnc_st__fail(err, err_size,
                          "%s: cannot write: tensor '%s' has a bad shape",
                          path, name);
  }

  /* The header: F64 tensors first, then F32, each group in list order. */
  nnc_st__append(&b, "{");
  for (pass = 0; pass < 2; ++pass)
    for (i = 0; i < n; ++i) {
      const nnc_st_tensor *t = &tensors[i];
      uint64_t bytes;
      if ((t->dtype == NNC_ST_F64) != (pass == 0))
        continue;
      bytes = (uint64_t)nnc_st__count(t->rank, t->shape) *
              nnc_st__dtype_size(t->dtype);
      nnc_st__append(&b, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[",
                     b.len > 1 ? "," : "", t->name,
                     t->dtype == NNC_ST_F64 ? "F64" : "F32");
      for (d = 0; d < t->rank; ++d)
        nnc_st__append(&b, "%s%lld", d ? "," : "", (long long)t->shape[d]);
      nnc_st__append(&b, "],\"data_offsets\":[%llu,%llu]}",
                     (unsigned long long)offset,
                     (unsigned long long)(offset + bytes));
      offset += bytes;
    }
  nnc_st__append(&b, "}");
  while (!b.failed && b.len % 8 != 0)
    nnc_st__append(&b, " ");
  if (b.failed) {
    free(b.text);
    return nnc_st__fail(err, err_size, "%s: cannot write: out of memory",
                        path);
  }

  tmp = (char *)malloc(strlen(path) + 5);
  if (!tmp) {
    free(b.text);
    return nnc_st__fail(err, err_size, "%s: cannot write: out of memory",
                        path);
  }
  strcpy(tmp, path);
  strcat(tmp, ".tmp");
  f = fopen(tmp, "wb");
  if (!f) {
    int saved = errno;
    nnc_st__fail(err, err_size, "%s: cannot write: cannot create %s: %s", path,
                 tmp, strerror(saved));
    free(b.text);
    free(tmp);
    return -1;
  }
  header_len = b.len;
  ok = fwrite(&header_len, 8, 1, f) == 1 && fwrite(b.text, 1, b.len, f) == b.len;
  for (pass = 0; pass < 2 && ok; ++pass)
    for (i = 0; i < n && ok; ++i) {
      const nnc_st_tensor *t = &tensors[i];
      size_t bytes;
      if ((t->dtype == NNC_ST_F64) != (pass == 0))
        continue;
      bytes = (size_t)nnc_st__count(t->rank, t->shape) *
              nnc_st__dtype_size(t->dtype);
      ok = bytes == 0 || (t->data && fwrite(t->data, 1, bytes, f) == bytes);
    }
  ok = (fclose(f) == 0) && ok;
  free(b.text);
  if (!ok || rename(tmp, path) != 0) {
    remove(tmp);
    free(tmp);
    return nnc_st__fail(err, err_size, "%s: cannot write: write failed",
                        path);
  }
  free(tmp);
  return 0;
}

/* --- Reading: a scanner over just enough JSON. ---------------------------*/

static inline const char *nnc_st__ws(const char *p) {
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
    ++p;
  return p;
}

/* Skips a string starting at its opening quote; NULL if unterminated. */
static inline const char *nnc_st__skip_string(const char *p) {
  for (++p; *p; ++p) {
    if (*p == '\\' && p[1])
      ++p;
    else if (*p == '"')
      return p + 1;
  }
  return NULL;
}

/* Skips one JSON value, stopping at the ',', '}' or ']' after it; NULL on
 * malformed text. Scalars are not checked, only skipped. */
static inline const char *nnc_st__skip_value(const char *p) {
  int depth = 0;
  p = nnc_st__ws(p);
  for (;;) {
    if (*p == '\0')
      return NULL;
    if (*p == '"') {
      p = nnc_st__skip_string(p);
      if (!p || depth == 0)
        return p;
    } else if (*p == '{' || *p == '[') {
      ++depth;
      ++p;
    } else if (*p == '}' || *p == ']') {
      if (depth == 0) /* the container around a scalar ends */
        return p;
      ++p;
      if (--depth == 0)
        return p;
    } else if (*p == ',' && depth == 0) {
      return p;
    } else {
      ++p;
    }
  }
}

/* Reads a non-negative integer below 2^63; NULL if there is none. */
/* An object member's `"key":` at p: sets *key and *key_end (quotes
   included) and returns what follows the colon, blanks skipped; NULL if
   malformed. */
static inline const char *nnc_st__member(const char *p, const char **key,
                                         const char **key_end) {
  if (*p != '"' || !(*key_end = nnc_st__skip_string(p)))
    return NULL;
  *key = p;
  p = nnc_st__ws(*key_end);
  if (*p++ != ':')
    return NULL;
  return nnc_st__ws(p);
}

/* After a member's value: past the comma to the next member, or at the
   closing brace; NULL if neither follows. */
static inline const char *nnc_st__next_member(const char *p) {
  p = nnc_st__ws(p);
  if (*p == ',')
    return nnc_st__ws(p + 1);
  return *p == '}' ? p : NULL;
}

static inline const char *nnc_st__uint(const char *p, int64_t *out) {
  int64_t v = 0;
  p = nnc_st__ws(p);
  if (*p < '0' || *p > '9')
    return NULL;
  for (; *p >= '0' && *p <= '9'; ++p) {
    if (v > (INT64_MAX - (*p - '0')) / 10)
      return NULL;
    v = v * 10 + (*p - '0');
  }
  *out = v;
  return p;
}

/* Reads `[a, b, ...]` of at most `max` integers. */
static inline const char *nnc_st__uints(const char *p, int64_t *out, int max,
                                        int *n) {
  *n = 0;
  p = nnc_st__ws(p);
  if (*p++ != '[')
    return NULL;
  p = nnc_st__ws(p);
  if (*p == ']')
    return p + 1;
  for (;;) {
    if (*n == max)
      return NULL;
    p = nnc_st__uint(p, &out[(*n)++]);
    if (!p)
      return NULL;
    p = nnc_st__ws(p);
    if (*p == ']')
      return p + 1;
    if (*p++ != ',')
      return NULL;
  }
}

/* Reads the tensor `name` of the file `path` into `out`. */
static inline int nnc_st_read(const char *path, const char *name,
                              nnc_st_array *out, char *err, size_t err_size) {
  FILE *f;
  long size;
  uint64_t header_len;
  char *header;
  const char *p;
  size_t name_len = strlen(name);
  int found = 0, have_dtype = 0, have_shape = 0, have_offsets = 0, n;
  int64_t offsets[2], count;
  memset(out, 0, sizeof *out);
  if (!nnc_st__little_endian())
    return nnc_st__fail(err, err_size, "%s: cannot read: big-endian host",
                        path);
  f = fopen(path, "rb");
  if (!f)
    return nnc_st__fail(err, err_size, "%s: cannot open: %s", path,
                        strerror(errno));
  if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
      fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return nnc_st__fail(err, err_size, "%s: cannot read", path);
  }
  if (size < 8 || fread(&header_len, 8, 1, f) != 1) {
    fclose(f);
    return nnc_st__fail(err, err_size,
                        "%s: truncated: shorter than the 8-byte header "
                        "length",
                        path);
  }
  if (header_len > (uint64_t)size - 8) {
    fclose(f);
    return nnc_st__fail(err, err_size,
                        "%s: header length %llu runs past the end of the "
                        "file (%ld bytes)",
                        path, (unsigned long long)header_len, size);
  }
  if (header_len > NNC_ST_MAX_HEADER) {
    fclose(f);
    return nnc_st__fail(err, err_size, "%s: header length %llu is too large",
                        path, (unsigned long long)header_len);
  }
  header = (char *)malloc((size_t)header_len + 1);
  if (!header || fread(header, 1, (size_t)header_len, f) != header_len) {
    free(header);
    fclose(f);
    return nnc_st__fail(err, err_size, "%s: cannot read the header", path);
  }
  header[header_len] = '\0';

  /* The top-level object: "key": value pairs, looking for `name`. */
  p = nnc_st__ws(header);
  if (*p++ != '{')
    goto bad_json;
  p = nnc_st__ws(p);
  while (*p != '}') {
    const char *key, *end;
    if (!(p = nnc_st__member(p, &key, &end)))
      goto bad_json;
    if ((size_t)(end - key - 2) == name_len &&
        memcmp(key + 1, name, name_len) == 0) {
      /* The tensor's entry: dtype, shape, data_offsets. */
      found = 1;
      if (*p++ != '{')
        goto bad_json;
      p = nnc_st__ws(p);
      while (*p != '}') {
        const char *field, *field_end;
        if (!(p = nnc_st__member(p, &field, &field_end)))
          goto bad_json;
        if (field_end - field == 7 && memcmp(field, "\"dtype\"", 7) == 0) {
          if (strncmp(p, "\"F32\"", 5) == 0)
            out->dtype = NNC_ST_F32;
          else if (strncmp(p, "\"F64\"", 5) == 0)
            out->dtype = NNC_ST_F64;
          else {
            const char *q = *p == '"' ? nnc_st__skip_string(p) : NULL;
            int len = q ? (int)(q - p - 2) : 0;
            free(header);
            fclose(f);
            return nnc_st__fail(err, err_size,
                                "%s: tensor '%s' has dtype '%.*s'; this "
                                "reader handles F32 and F64",
                                path, name, len > 16 ? 16 : len, p + 1);
          }
          have_dtype = 1;
          p += 5;
        } else if (field_end - field == 7 &&
                   memcmp(field, "\"shape\"", 7) == 0) {
          p = nnc_st__uints(p, out->shape, NNC_ST_MAX_RANK,
                                    &out->rank);
          if (!p)
            goto bad_entry;
          have_shape = 1;
        } else if (field_end - field == 14 &&
                   memcmp(field, "\"data_offsets\"", 14) == 0) {
          p = nnc_st__uints(p, offsets, 2, &n);
          if (!p || n != 2)
            goto bad_entry;
          have_offsets = 1;
        } else {
          p = nnc_st__skip_value(p);
          if (!p)
            goto bad_json;
        }
        if (!(p = nnc_st__next_member(p)))
          goto bad_json;
      }
      break;
    }
    p = nnc_st__skip_value(p);
    if (!p || !(p = nnc_st__next_member(p)))
      goto bad_json;
  }
  free(header);
  if (!found) {
    fclose(f);
    return nnc_st__fail(err, err_size, "%s: no tensor named '%s'", path, name);
  }
  if (!have_dtype || !have_shape || !have_offsets) {
    fclose(f);
    return nnc_st__fail(err, err_size,
                        "%s: tensor '%s' lacks a dtype, a shape or "
                        "data_offsets (at most %d dimensions)",
                        path, name, NNC_ST_MAX_RANK);
  }
  count = nnc_st__count(out->rank, out->shape);
  if (count < 0 || offsets[0] > offsets[1] ||
      (uint64_t)(offsets[1] - offsets[0]) !=
          (uint64_t)count * nnc_st__dtype_size(out->dtype)) {
    fclose(f);
    return nnc_st__fail(err, err_size,
                        "%s: tensor '%s': data_offsets [%lld, %lld] do not "
                        "match its dtype and shape",
                        path, name, (long long)offsets[0],
                        (long long)offsets[1]);
  }
  if ((uint64_t)offsets[1] > (uint64_t)size - 8 - header_len) {
    fclose(f);
    return nnc_st__fail(err, err_size,
                        "%s: tensor '%s': data_offsets [%lld, %lld] run past "
                        "the end of the file",
                        path, name, (long long)offsets[0],
                        (long long)offsets[1]);
  }
  out->count = (size_t)count;
  out->data = malloc(offsets[1] - offsets[0] ? (size_t)(offsets[1] - offsets[0])
                                             : 1);
  if (!out->data ||
      fseek(f, (long)(8 + header_len + (uint64_t)offsets[0]), SEEK_SET) != 0 ||
      fread(out->data, 1, (size_t)(offsets[1] - offsets[0]), f) !=
          (size_t)(offsets[1] - offsets[0])) {
    free(out->data);
    out->data = NULL;
    fclose(f);
    return nnc_st__fail(err, err_size, "%s: cannot read tensor '%s'", path,
                        name);
  }
  fclose(f);
  return 0;

bad_entry:
  free(header);
  fclose(f);
  return nnc_st__fail(err, err_size,
                      "%s: tensor '%s': bad shape or data_offsets (at most "
                      "%d dimensions)",
                      path, name, NNC_ST_MAX_RANK);
bad_json:
  free(header);
  fclose(f);
  return nnc_st__fail(err, err_size, "%s: bad JSON header", path);
}

/* Reads the tensor `name` into `dst`, which holds `count` elements of
 * `dtype`: an error unless the file's tensor has that dtype and count. */
static inline int nnc_st_read_into(const char *path, const char *name,
                                   nnc_st_dtype dtype, void *dst, size_t count,
                                   char *err, size_t err_size) {
  nnc_st_array a;
  if (nnc_st_read(path, name, &a, err, err_size) != 0)
    return -1;
  if (a.dtype != dtype || a.count != count) {
    free(a.data);
    return nnc_st__fail(err, err_size,
                        "%s: tensor '%s' has %zu elements of %s, expected "
                        "%zu of %s",
                        path, name, a.count,
                        a.dtype == NNC_ST_F64 ? "F64" : "F32", count,
                        dtype == NNC_ST_F64 ? "F64" : "F32");
  }
  memcpy(dst, a.data, count * nnc_st__dtype_size(dtype));
  free(a.data);
  return 0;
}

/* Releases what nnc_st_read allocated. */
static inline void nnc_st_free(nnc_st_array *a) {
  free(a->data);
  a->data = NULL;
}

#endif /* NNC_C_SAFETENSORS_H */
