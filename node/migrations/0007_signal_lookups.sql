-- A quarter's "no fitting answer" signals join the quarter's closed cases to their categories by case id, and
-- its returned cases are found by state and time: without these two indexes both read every row (a second per
-- snapshot at a million cases; docs/BENCHMARKS.md).
CREATE INDEX case_categories_by_case ON case_categories (case_id, category);
CREATE INDEX cases_by_state_change ON cases (state, updated_at);
