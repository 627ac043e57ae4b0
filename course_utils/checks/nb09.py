"""Exercise checkers of notebook 09 (knowledge distillation). Each computes its own answer."""

from __future__ import annotations

from typing import Any

from .core import grade_function, grade_numbers

__all__ = ["EXERCISE_TEMPERATURE", "EXERCISE_DISTILLATION", "exercise_softmax_temperature",
           "exercise_distillation_loss", "exercise_token_soft_target_loss", "exercise_sentence_cosine_loss"]

# Exercise 1: a teacher's logits over four classes, softened at T = 3.
EXERCISE_TEMPERATURE: dict[str, Any] = {"logits": [4.0, 1.0, 0.5, -2.0], "T": 3.0}

# Exercise 2: one batch of two sentences (two classes); the second has no label (a transfer sentence).
EXERCISE_DISTILLATION: dict[str, Any] = {
    "student_logits": [[1.0, -0.5], [0.2, 0.4]],
    "teacher_logits": [[2.5, -1.0], [-0.5, 1.5]],
    "labels": [0, -100],
    "T": 2.0, "alpha_ce": 5.0, "alpha_task": 2.0,
}


def exercise_softmax_temperature(answer: Any) -> None:
    """Notebook 09: the four probabilities softmax(z / T) of ``EXERCISE_TEMPERATURE``."""
    import torch

    from ..distill import softmax_with_temperature

    e = EXERCISE_TEMPERATURE
    expected = softmax_with_temperature(torch.tensor(e["logits"]), e["T"]).double().numpy()
    grade_numbers(answer, expected, "divide every logit by T first, then softmax: exp(z_i / T) / Σ_j exp(z_j / T); the "
          "four values sum to 1 and are less peaked than softmax(z)", name="softmax with temperature")


def exercise_distillation_loss(answer: Any) -> None:
    """Notebook 09: α_ce · KL(p_teacher ‖ p_student) · T² + α_task · CE(labelled rows) for ``EXERCISE_DISTILLATION``."""
    import torch

    from ..distill import LossWeights, distillation_loss

    e = EXERCISE_DISTILLATION
    weights = LossWeights(ce=e["alpha_ce"], task=e["alpha_task"], cos=0.0, temperature=e["T"])
    expected = distillation_loss(torch.tensor(e["student_logits"]), torch.tensor(e["teacher_logits"]),
                                 torch.tensor(e["labels"]), weights)["loss"].item()
    grade_numbers(answer, expected, [
        "two terms: α_ce · L_ce over both sentences, plus α_task · L_task over the labelled sentence only "
        "(label -100 means 'no label': that sentence counts in L_ce alone)",
        "L_ce: soften both rows' logits at T, take KL(teacher ‖ student) per row (a sum over the classes), "
        "average over the 2 rows, then multiply by T²",
        "L_task is the ordinary cross-entropy of the first row's student logits against its label, at T = 1 and "
        "without T²; the answer is α_ce · L_ce + α_task · L_task, one number",
    ], name="distillation loss")


# ----------------------------------------------------------------------------------------------
# implement-the-algorithm exercises: the learner's function against a reference on several inputs
# ----------------------------------------------------------------------------------------------
def _reference_token_soft_target_loss(student_logits: Any, teacher_logits: Any, attention_mask: Any,
                                      temperature: float) -> Any:
    """DistilBERT's L_ce at the token level: T² · KL(p_teacher(T) ‖ p_student(T)) at every real token,
    averaged over the real tokens of the batch (padding counts neither in the sum nor in the count)."""
    import torch.nn.functional as F

    temp = float(temperature)
    log_p_s = F.log_softmax(student_logits / temp, dim=-1)                      # (B, T, C)
    log_p_t = F.log_softmax(teacher_logits / temp, dim=-1)                      # (B, T, C)
    kl = (log_p_t.exp() * (log_p_t - log_p_s)).sum(-1)                           # (B, T): one KL per token
    mask = attention_mask.to(kl.dtype)                                           # (B, T)
    return (kl * mask).sum() / mask.sum() * temp ** 2


def _token_soft_target_cases() -> list[Any]:
    import torch

    g = torch.Generator().manual_seed(9)

    def logits(*shape: int, scale: float = 2.0) -> Any:
        return scale * torch.randn(*shape, generator=g, dtype=torch.float64)

    padded = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]])
    s, t = logits(2, 4, 5), logits(2, 4, 5)
    s[1, 2:], t[1, 2:] = 50.0, -50.0                                             # padding: must not count
    same = logits(2, 3, 4)
    empty_row = torch.tensor([[1, 1, 1], [0, 0, 0], [1, 0, 0]])                  # a sentence that is all padding
    return [
        (s, t, padded, 2.0),                                                     # padding with huge logits
        (logits(1, 3, 3), logits(1, 3, 3), torch.ones(1, 3, dtype=torch.long), 1.0),   # T = 1: the plain KL
        (same, same.clone(), torch.tensor([[1, 1, 1], [1, 1, 0]]), 4.0),          # equal logits: 0
        (logits(1, 1, 4), logits(1, 1, 4), torch.ones(1, 1, dtype=torch.long), 2.0),   # one token
        (logits(3, 3, 4), logits(3, 3, 4), empty_row, 3.0),                      # a fully padded sentence
        (logits(2, 2, 6, scale=5.0), logits(2, 2, 6, scale=5.0), torch.ones(2, 2, dtype=torch.long), 10.0),
    ]


def exercise_token_soft_target_loss(fn: Any) -> None:
    """Notebook 09: the soft-target loss over the real tokens of (B, T, C) logits (DistilBERT's L_ce on MLM)."""
    grade_function(fn, _reference_token_soft_target_loss, _token_soft_target_cases(), [
        "DistilBERT's L_ce compares two distributions at every real token: soften both at the temperature, take "
        "KL(teacher ‖ student) at each position, average over the positions whose mask is 1 (padding counts "
        "neither in the sum nor in the count), and multiply by T²",
        "shapes: the logits are (B, T, C) and the mask (B, T); the KL at one token is a sum over the C classes, "
        "(B, T) for all; keep the real tokens only — either pick them out with the mask used as a boolean index, "
        "which leaves (N, C) rows, or weight each KL by the mask and divide by the number of real tokens",
        "the edge cases: equal logits give 0, T = 1 is the plain KL, a sentence whose mask is all 0 adds nothing, "
        "and whatever sits at a padded position (even a logit of ±50) must not change the result; on the (N, C) "
        "rows of real tokens this is exactly what soft_target_loss computes",
    ], name="token-level soft-target loss", atol=1e-8)


def _reference_sentence_cosine_loss(student_hidden: Any, teacher_hidden: Any, attention_mask: Any) -> Any:
    """1 − cos(h_student, h_teacher) averaged over each sentence's real tokens, then over the sentences
    (each sentence counts once, whatever its length)."""
    import torch.nn.functional as F

    cos = F.cosine_similarity(student_hidden, teacher_hidden, dim=-1)            # (B, T)
    mask = attention_mask.to(cos.dtype)                                          # (B, T)
    per_sentence = ((1 - cos) * mask).sum(1) / mask.sum(1)                       # (B,)
    return per_sentence.mean()


def _sentence_cosine_cases() -> list[Any]:
    import torch

    g = torch.Generator().manual_seed(90)

    def states(*shape: int) -> Any:
        return torch.randn(*shape, generator=g, dtype=torch.float64)

    lengths = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [1, 1, 1, 0, 0]])   # 5, 2 and 3 real tokens
    h = states(2, 4, 6)
    scaled = 3 * h
    scaled[1, 3:] = states(1, 6)                                                 # noise at a padded position
    return [
        (states(3, 5, 4), states(3, 5, 4), lengths),                             # unequal lengths
        (h, h.clone(), torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])),              # identical states: 0
        (-h, h, torch.ones(2, 4, dtype=torch.long)),                             # opposite directions: 2
        (scaled, h, torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])),                 # 3× longer, same direction: 0
        (states(1, 1, 8), states(1, 1, 8), torch.ones(1, 1, dtype=torch.long)),   # one token
        (states(2, 3, 5), states(2, 3, 5), torch.tensor([[1, 0, 0], [1, 1, 1]])),   # a sentence of one token
    ]


def exercise_sentence_cosine_loss(fn: Any) -> None:
    """Notebook 09: L_cos with each sentence weighted equally (a variant of ``hidden_cosine_loss``)."""
    grade_function(fn, _reference_sentence_cosine_loss, _sentence_cosine_cases(), [
        "hidden_cosine_loss averages 1 − cos over all the real tokens of the batch, so a long sentence weighs "
        "more than a short one; here each sentence first gets the mean over its own real tokens, and then the "
        "sentences are averaged with equal weight",
        "the cosine of two (B, T, d) tensors along the hidden dimension is (B, T); per sentence, add up 1 − cos "
        "over the positions whose mask is 1 and divide by that sentence's number of real tokens, giving (B,); "
        "then take the mean over the B sentences",
        "the cosine ignores length: a student state 3× the teacher's gives 0 and the opposite direction gives "
        "2; what sits at a padded position must count neither in a sentence's sum nor in its token count",
    ], name="per-sentence cosine loss", atol=1e-8)
