/*
 * fuzz_hmm_json.c - libFuzzer target for the HMM's JSON loader (a fitted
 * regime model read back from a file or the store). Whatever loads must be a
 * valid model (stochastic rows, positive-definite covariances: its densities
 * finite) and must write JSON that loads to the same text again.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signal/hmm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    qf_hmm m;
    qf_err err;
    qf_rc rc = qf_hmm_from_json_text(text, &m, &err);
    free(text);
    if (rc != QF_OK)
        return 0;
    double x[QF_HMM_MAX_DIM] = {0};
    for (int k = 0; k < m.n_states; k++)
        if (isnan(qf_hmm_log_density(&m, k, x)))
            abort(); /* a loaded covariance must factor */
    char *a = NULL, *b = NULL;
    qf_hmm again;
    if (qf_hmm_to_json_text(&m, &a, &err) != QF_OK ||
        qf_hmm_from_json_text(a, &again, &err) != QF_OK ||
        qf_hmm_to_json_text(&again, &b, &err) != QF_OK || strcmp(a, b) != 0)
        abort();
    free(a);
    free(b);
    return 0;
}
