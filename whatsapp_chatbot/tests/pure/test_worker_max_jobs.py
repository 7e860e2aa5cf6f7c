"""How many jobs a no-fork pool worker runs before the pool renews it (worker_pool.max_jobs)."""

import pytest

from whatsapp_chatbot import worker_pool


def test_by_default_about_five_thousand_spread_so_workers_do_not_leave_together():
	figures = {worker_pool.max_jobs({}) for _ in range(200)}
	assert min(figures) >= worker_pool.MAX_JOBS
	assert max(figures) <= worker_pool.MAX_JOBS + worker_pool.MAX_JOBS_JITTER
	assert len(figures) > 1


def test_an_operator_sets_the_figure_exactly():
	assert worker_pool.max_jobs({worker_pool.MAX_JOBS_VARIABLE: " 200 "}) == 200
	assert worker_pool.max_jobs({worker_pool.MAX_JOBS_VARIABLE: ""}) >= worker_pool.MAX_JOBS


@pytest.mark.parametrize("bad", ["0", "-3", "many", "2.5"])
def test_a_figure_that_is_not_a_positive_whole_number_is_refused(bad):
	with pytest.raises(ValueError, match="WHATSAPP_CHATBOT_WORKER_MAX_JOBS"):
		worker_pool.max_jobs({worker_pool.MAX_JOBS_VARIABLE: bad})
