#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "core/db.h"

namespace mw::db {

// Runs one statement `count` times with the parameters rowParams(i) gives; returns the affected
// rows in all. SQLite prepares it once and steps it per row (far cheaper than multi-row VALUES
// with thousands of ?NNN parameters, which SQLite compiles slowly); PostgreSQL executes it per
// row, so prefer multi-row statements there. Run it inside a Tx. With perRow, (*perRow)[i] is
// the rows that the i-th execution changed.
std::size_t execEach(Conn& c, const std::string& sql, std::size_t count,
                     const std::function<Params(std::size_t)>& rowParams,
                     std::vector<std::size_t>* perRow = nullptr);

// Calls `run` once per 512 of `ids`, with `fixed` followed by those ids (padded by padList) and
// `in`, their placeholders ("$3, $4, ...") for an `id IN (...)`; returns what the calls return
// added up (say the rows each statement changed).
std::size_t eachIdChunk(
    const Params& fixed, const std::vector<std::int64_t>& ids,
    const std::function<std::size_t(const Params&, const std::string& in)>& run);

}  // namespace mw::db
