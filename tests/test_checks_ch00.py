"""The setup chapter's warm-up check accepts the solution and rejects plausible wrong answers."""

import torch

import steerlens as sl
from steerlens.exercises import check


def _context():
    img = torch.rand(1, 1, 64, 64)
    csp = sl.CSP(img.shape[-2:], height=4, order=3)
    err = (csp.synthesize(csp.analyze(img)) - img).abs().max().item()
    csp2 = sl.CSP(img.shape[-2:], height=2, order=3)
    err2 = (csp2.synthesize(csp2.analyze(img)) - img).abs().max().item()
    return img, err, err2


def test_warmup_accepts_the_solution():
    img, err, err2 = _context()
    fb = check("ex-00-warmup", {"img": img, "err": err, "n_scales_h2": 2, "err_h2": err2})
    assert fb.status == "correct", str(fb)


def test_warmup_rejects_wrong_answers_without_giving_them_away():
    img, err, err2 = _context()
    base = {"img": img, "err": err, "err_h2": err2}
    fb = check("ex-00-warmup", {**base, "n_scales_h2": 4})
    assert fb.status == "incorrect" and "len(coeffs.bands)" in fb.message
    assert "be 2" not in fb.message and "is 2" not in fb.message
    fb = check("ex-00-warmup", {**base, "n_scales_h2": 2.0})
    assert fb.status == "incorrect" and "whole number" in fb.message
    fb = check("ex-00-warmup", {**base, "n_scales_h2": 2, "err_h2": 0.3})
    assert fb.status == "incorrect" and "far too large" in fb.message
    fb = check("ex-00-warmup", {**base, "n_scales_h2": 2, "err_h2": -1e-7})
    assert fb.status == "incorrect" and "absolute" in fb.message


def test_warmup_not_attempted():
    assert check("ex-00-warmup", {}).status == "not attempted"
    assert check("ex-00-warmup", {"n_scales_h2": 2}).status == "not attempted"
