#!/usr/bin/env bash
# The study at three budgets (issue 26): every budget's runs, resumable,
# and its results page. Rerun to continue where it stopped; a budget
# already complete only rebuilds its page. --extend: stage 2 (more_seeds)
# adds its runs to the folder of stage 1, whose configuration had none.
set -euo pipefail
cd "$(dirname "$0")/../../.."
for budget in ${BUDGETS:-low mid high}; do
    python -m skactiveml_badge.experiments \
        --config "benchmarks/study/budgets/$budget.json" --workers 2 \
        --out "benchmarks/_results/study-budgets/$budget" --quiet --extend \
        --study-page "docs/study_$budget.rst"
done
