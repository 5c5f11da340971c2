#!/usr/bin/env python3
"""Expected parse of the real logs under test/fixtures/real-ingest, computed independently of LossWatch.

CSV files are read with pandas (read_csv); JSONL files with json.loads per line. Line numbers follow
VS Code's line model: the raw text split on \\r\\n, \\r or \\n (re.split), 1-based. The step of a CSV row
is its `epoch` cell (Keras and YOLO write no step column); the step of a detectron2 record is its
`iteration`. A time-named field is a wall clock only when it holds Unix seconds/ms after 2000-01-01;
otherwise it is a metric series like any other. A step that goes back (the same epoch or none) is a
resume: the earlier points at that step and after are dropped (TensorBoard purge semantics).

Writes test/fixtures/real-ingest/expected.json (committed; the mocha test compares against it, so CI
needs no Python). Run: /usr/bin/python3 scripts/real_ingest_expected.py
"""
import io
import json
import math
import os
import re

import pandas as pd

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'real-ingest')
TIME_KEYS = {'timestamp', 'time', 'wall_time', 'walltime', '_timestamp', 'ts', 'datetime', 'date', 'wall'}
WALL_MIN, WALL_MAX = 946684800, 4102444800


def is_wall(v):
    return WALL_MIN <= v < WALL_MAX or WALL_MIN * 1000 <= v < WALL_MAX * 1000


def lines_of(raw):
    """(line number, text) of the non-empty lines, numbered like VS Code."""
    return [(i + 1, t) for i, t in enumerate(re.split(r'\r\n|\r|\n', raw)) if t != '']


def num(v):
    v = float(v)
    return 'NaN' if math.isnan(v) else v


class Series:
    def __init__(self):
        self.pts = []  # [step, value, line]

    def add(self, step, value, line, resumes):
        if self.pts and step < self.pts[-1][0]:
            from_step = self.pts[-1][0]
            while self.pts and self.pts[-1][0] >= step:
                self.pts.pop()
            # one resume per (line, step); it goes back from the highest last step of its series
            resumes[(line, step)] = max(resumes.get((line, step), from_step), from_step)
        self.pts.append([step, value, line])


def csv_case(path):
    raw = open(path, encoding='utf-8', newline='').read()
    # round_trip: correctly rounded floats (pandas' default fast parser may be 1 ulp off)
    df = pd.read_csv(io.StringIO(raw), skipinitialspace=True, float_precision='round_trip')
    df.columns = [c.strip() for c in df.columns]
    data_lines = [n for n, _ in lines_of(raw)][1:]  # the header is the first non-empty line
    assert len(data_lines) == len(df), (path, len(data_lines), len(df))
    step_col = 'epoch'
    series, resumes = {}, {}
    time_wall = None
    for r, line in zip(df.itertuples(index=False), data_lines):
        row = dict(zip(df.columns, r))
        step = float(row[step_col])
        for k, v in row.items():
            if k == step_col or pd.isna(v):
                continue
            if k.lower() in TIME_KEYS:
                if time_wall is None:
                    time_wall = is_wall(float(v))
                if time_wall:
                    continue
            series.setdefault(k, Series()).add(step, num(v), line, resumes)
    return series, resumes


def jsonl_case(path):
    raw = open(path, encoding='utf-8', newline='').read()
    series, resumes = {}, {}
    time_wall = {}
    for line, text in lines_of(raw):
        o = json.loads(text)
        step = float(o['iteration'])
        for k, v in o.items():
            if k == 'iteration' or not isinstance(v, (int, float)) or isinstance(v, bool):
                continue
            if k.lower() in TIME_KEYS:
                if k not in time_wall:
                    time_wall[k] = is_wall(float(v))
                if time_wall[k]:
                    continue
            series.setdefault(k, Series()).add(step, num(v), line, resumes)
    return series, resumes


CASES = {
    'keras-crcrlf/training_log.csv': csv_case,
    'keras-crlf/training_log.csv': csv_case,
    'yolo11-time/results.csv': csv_case,
    'detectron2-resumed/metrics.json': jsonl_case,
    'detectron2-resumed-crlf/metrics.json': jsonl_case,
}


def main():
    out = {}
    for rel, fn in CASES.items():
        series, resumes = fn(os.path.join(ROOT, rel))
        out[rel] = {
            'series': {k: {'step': [p[0] for p in s.pts], 'value': [p[1] for p in s.pts], 'line': [p[2] for p in s.pts]} for k, s in sorted(series.items())},
            'resumes': sorted([[line, step, frm] for (line, step), frm in resumes.items()]),
        }
    with open(os.path.join(ROOT, 'expected.json'), 'w') as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write('\n')
    for rel, c in out.items():
        print(rel, len(c['series']), 'series', sum(len(s['step']) for s in c['series'].values()), 'points', 'resumes', c['resumes'])


if __name__ == '__main__':
    main()
