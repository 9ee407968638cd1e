#pragma once
// What `profile layers` and `profile nets` tell the user: the plan, the device and its meter,
// and how the run ended. Progress lines come from the measuring loops themselves (their log).
#include <string>

#include "neuralpower/backend.hpp"
#include "neuralpower/power_meter.hpp"
#include "neuralpower/profile_layers.hpp"
#include "neuralpower/profile_nets.hpp"
#include "neuralpower/sampling_plan.hpp"
#include "neuralpower/spread_check.hpp"

namespace np {

// Configurations per kind and source, what the caps dropped, the networks used.
std::string plan_summary(const Plan& plan);
// One configuration a line, with its source layer: what --dry-run prints.
std::string plan_listing(const Plan& plan);

// "device: NAME (backend, runtime, detail)".
std::string device_line(const DeviceInfo& device);
// The meter, or why the run is runtime only.
std::string meter_line(const MeterStatus& meter);

// How a `profile layers` run ended: rows written, and what is left when it stopped early.
std::string profile_layers_summary(const ProfileLayersResult& result, const std::string& out,
                                   double budget_seconds);
// "energy counter (nvml): updates every 100.02 ms (median of 10 intervals, IQR 0.1% of it)".
std::string counter_period_line(const std::string& meter, const CounterPeriod& period);
// The spread check's table and verdict (`profile spread`), and its windows as CSV rows.
std::string spread_check_report(const SpreadCheck& check, const SpreadOptions& options);
std::string spread_check_csv(const SpreadCheck& check);

// How a `profile nets` run ended, out of `planned` measurements.
std::string profile_nets_summary(const ProfileNetsResult& result, size_t planned,
                                 const std::string& out);

}  // namespace np
