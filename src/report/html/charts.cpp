#include "report/html/charts.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>

#include "neuralpower/error.hpp"

namespace np::html {
namespace {

using nlohmann::json;

// Tableau 10, then the lighter half of Tableau 20: kinds are ordered by runtime, so the kinds
// that matter get the most distinct colours.
const std::vector<std::string> kKindColours = {
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
    "#ff9da7", "#9c755f", "#bab0ac", "#a0cbe8", "#ffbe7d", "#ff9d9a", "#86bcb6",
    "#8cd17d", "#f1ce63", "#d4a6c8", "#fabfd2", "#d7b5a6", "#79706e"};
const char* kPredictedColour = "#4e79a7";
const char* kBaselineColour = "#f28e2b";
const char* kMeasuredColour = "#3b3b3b";

constexpr int kLayerStep = 14;     // px a layer in per-layer bar charts
constexpr int kGroupedRow = 24;    // px a layer when each has two or three bars
constexpr int kCategoryStep = 24;  // px a row in kind and top-layer charts

struct QuantityInfo {
  const char* key;    // "runtime"
  const char* field;  // "runtime_ms"
  const char* unit;   // "ms"
  const char* title;  // "runtime (ms)"
};

QuantityInfo info(Quantity quantity) {
  switch (quantity) {
    case Quantity::runtime:
      return {"runtime", "runtime_ms", "ms", "runtime (ms)"};
    case Quantity::power:
      return {"power", "power_w", "W", "power (W)"};
    case Quantity::energy:
      return {"energy", "energy_mj", "mJ", "energy (mJ)"};
  }
  throw Error("unknown quantity");
}

const Quantity kQuantities[] = {Quantity::runtime, Quantity::power, Quantity::energy};

std::optional<double> predicted(const LayerValues& layer, Quantity quantity) {
  switch (quantity) {
    case Quantity::runtime:
      return layer.runtime_ms;
    case Quantity::power:
      return layer.power_w;
    case Quantity::energy:
      return layer.energy_mj;
  }
  return std::nullopt;
}

std::optional<double> measured(const LayerValues& layer, Quantity quantity) {
  switch (quantity) {
    case Quantity::runtime:
      return layer.measured_ms;
    case Quantity::power:
      return layer.measured_w;
    case Quantity::energy:
      return layer.measured_mj;
  }
  return std::nullopt;
}

void require_finite(const LayerValues& layer, const char* field, std::optional<double> value) {
  if (value && !std::isfinite(*value)) {
    throw Error("layer '" + layer.name + "': " + field + " is not a finite number");
  }
}

// The layers in network order, checked, each with a label that is unique in the network (a
// repeated name gets its position appended) for the band scales.
struct Labelled {
  const LayerValues* layer;
  std::string label;
};

std::vector<Labelled> in_network_order(const std::vector<LayerValues>& layers) {
  if (layers.empty()) throw Error("no layers to chart");
  std::map<std::string, int> uses;
  for (const LayerValues& layer : layers) {
    require_finite(layer, "runtime_ms", layer.runtime_ms);
    require_finite(layer, "power_w", layer.power_w);
    require_finite(layer, "energy_mj", layer.energy_mj);
    require_finite(layer, "measured_ms", layer.measured_ms);
    require_finite(layer, "measured_w", layer.measured_w);
    require_finite(layer, "measured_mj", layer.measured_mj);
    require_finite(layer, "baseline_ms", layer.baseline_ms);
    ++uses[layer.name];
  }
  std::vector<Labelled> ordered;
  for (const LayerValues& layer : layers) {
    std::string label = layer.name;
    if (uses[layer.name] > 1 || label.empty()) label += " #" + std::to_string(layer.order + 1);
    ordered.push_back({&layer, label});
  }
  std::stable_sort(ordered.begin(), ordered.end(), [](const Labelled& a, const Labelled& b) {
    return a.layer->order < b.layer->order;
  });
  return ordered;
}

json labels_of(const std::vector<Labelled>& ordered) {
  json labels = json::array();
  for (const Labelled& entry : ordered) labels.push_back(entry.label);
  return labels;
}

// Kinds by predicted runtime, largest first, so colours follow importance and stay the same in
// every chart built from the same layers.
json kind_colour(const std::vector<LayerValues>& layers) {
  std::map<std::string, double> runtime;
  for (const LayerValues& layer : layers) runtime[layer.kind] += layer.runtime_ms;
  std::vector<std::pair<std::string, double>> kinds(runtime.begin(), runtime.end());
  std::stable_sort(kinds.begin(), kinds.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  json domain = json::array();
  json range = json::array();
  for (size_t i = 0; i < kinds.size(); ++i) {
    domain.push_back(kinds[i].first);
    range.push_back(kKindColours[i % kKindColours.size()]);
  }
  return {{"field", "kind"},
          {"type", "nominal"},
          {"title", "layer kind"},
          {"scale", {{"domain", domain}, {"range", range}}},
          {"legend", {{"orient", "top"}, {"columns", 10}, {"symbolType", "square"}}}};
}

// A Vega expression that shows a field with its unit, or says why there is no value.
std::string shown(const std::string& field, const std::string& unit, const std::string& absent) {
  const std::string value = "datum['" + field + "']";
  return "isValid(" + value + ") ? format(" + value + ", ',.4~r') + ' " + unit + "' : '" + absent +
         "'";
}

json tooltip_field(const std::string& field, const std::string& title) {
  return {{"field", field}, {"type", "nominal"}, {"title", title}};
}

json layer_axis(bool with_labels) {
  if (!with_labels) return nullptr;
  return {{"title", nullptr}, {"labelLimit", 220}, {"labelFontSize", 10}, {"ticks", false}};
}

json value_axis(const std::string& title) {
  return {{"title", title}, {"orient", "top"}, {"grid", true}, {"tickCount", 5}};
}

json row_values(const Labelled& entry, int layer_count) {
  const LayerValues& layer = *entry.layer;
  json row = {{"label", entry.label},
              {"name", layer.name},
              {"kind", layer.kind},
              {"order", layer.order},
              {"position", std::to_string(layer.order + 1) + " of " + std::to_string(layer_count)}};
  return row;
}

void check_quantity_additive(Quantity quantity) {
  if (quantity == Quantity::power) {
    throw Error("power is not additive over layers: no share by kind");
  }
}

double total_of(const std::vector<LayerValues>& layers, Quantity quantity) {
  double total = 0;
  for (const LayerValues& layer : layers) total += predicted(layer, quantity).value_or(0);
  return total;
}

std::string percent(double fraction) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %%", 100 * fraction);
  return text;
}

std::string capitalised(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
  return text;
}

std::string plural(size_t count, const std::string& word) {
  return std::to_string(count) + " " + word + (count == 1 ? "" : "s");
}

}  // namespace

std::string format_value(double value) {
  if (!std::isfinite(value)) return "-";
  const double magnitude = std::fabs(value);
  char text[64];
  if (magnitude >= 1000) {
    std::snprintf(text, sizeof text, "%.0f", value);
    std::string digits = text;
    const size_t first = digits[0] == '-' ? 1 : 0;
    for (size_t i = digits.size(); i > first + 3; i -= 3) digits.insert(i - 3, ",");
    return digits;
  }
  const int decimals = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : -1;
  if (decimals >= 0) {
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
  } else if (magnitude == 0) {
    return "0";
  } else {
    std::snprintf(text, sizeof text, "%.3g", value);
  }
  return text;
}

size_t count_with(const std::vector<LayerValues>& layers, Quantity quantity) {
  return static_cast<size_t>(std::count_if(layers.begin(), layers.end(), [&](const auto& layer) {
    return predicted(layer, quantity).has_value();
  }));
}

std::vector<KindShare> kind_shares(const std::vector<LayerValues>& layers, Quantity quantity) {
  check_quantity_additive(quantity);
  std::map<std::string, KindShare> by_kind;
  double total = 0;
  for (const LayerValues& layer : layers) {
    const auto value = predicted(layer, quantity);
    if (!value) continue;
    KindShare& share = by_kind[layer.kind];
    share.kind = layer.kind;
    share.layers += 1;
    share.total += *value;
    total += *value;
  }
  std::vector<KindShare> shares;
  for (auto& [kind, share] : by_kind) {
    share.share = total != 0 ? share.total / total : 0;
    shares.push_back(share);
  }
  std::stable_sort(shares.begin(), shares.end(),
                   [](const KindShare& a, const KindShare& b) { return a.total > b.total; });
  return shares;
}

std::vector<LayerValues> top_layers(const std::vector<LayerValues>& layers, Quantity quantity,
                                    size_t count) {
  std::vector<LayerValues> with_value;
  for (const LayerValues& layer : layers) {
    if (predicted(layer, quantity)) with_value.push_back(layer);
  }
  std::stable_sort(with_value.begin(), with_value.end(), [&](const auto& a, const auto& b) {
    return *predicted(a, quantity) > *predicted(b, quantity);
  });
  if (with_value.size() > count) with_value.resize(count);
  return with_value;
}

Chart kind_share_chart(const std::vector<LayerValues>& layers) {
  in_network_order(layers);  // checks the values
  const std::vector<KindShare> runtime = kind_shares(layers, Quantity::runtime);
  const size_t with_energy = count_with(layers, Quantity::energy);
  json kinds = json::array();
  for (const KindShare& share : runtime) kinds.push_back(share.kind);

  Chart chart;
  chart.title = "Share by layer kind";
  chart.description = "Each kind's part of the network's predicted runtime";
  std::vector<Quantity> shown_quantities = {Quantity::runtime};
  if (with_energy > 0) {
    shown_quantities.push_back(Quantity::energy);
    chart.description += " and energy";
    if (with_energy < layers.size()) {
      chart.description += " (energy known for " + std::to_string(with_energy) + " of " +
                           plural(layers.size(), "layer") + ")";
    }
  }
  chart.description += ", summed over the layers of that kind.";

  json panels = json::array();
  for (size_t p = 0; p < shown_quantities.size(); ++p) {
    const Quantity quantity = shown_quantities[p];
    const QuantityInfo q = info(quantity);
    for (const KindShare& share : kind_shares(layers, quantity)) {
      chart.values.push_back({{"quantity", q.key},
                              {"kind", share.kind},
                              {"layers", share.layers},
                              {"total", share.total},
                              {"share", share.share},
                              {"share_text", percent(share.share)}});
    }
    const json y = {{"field", "kind"},
                    {"type", "nominal"},
                    {"scale", {{"domain", kinds}}},
                    {"axis", p == 0 ? json{{"title", nullptr}, {"ticks", false}} : json(nullptr)}};
    const json x = {{"field", "share"},
                    {"type", "quantitative"},
                    {"axis",
                     {{"format", ".0%"},
                      {"title", std::string("share of ") + q.key},
                      {"orient", "top"},
                      {"tickCount", 5}}},
                    {"scale", {{"domain", {0, 1}}}}};
    json colour = kind_colour(layers);
    colour["legend"] = nullptr;  // the axis names the kinds
    const json tooltip =
        json::array({tooltip_field("kind", "kind"),
                     tooltip_field("share_text", std::string("share of ") + q.key),
                     tooltip_field("total_text", q.key), tooltip_field("layers", "layers")});
    panels.push_back(
        {{"width", 300},
         {"height", {{"step", kCategoryStep}}},
         {"transform",
          {{{"filter", std::string("datum.quantity === '") + q.key + "'"}},
           {{"calculate", "format(datum.total, ',.4~r') + ' " + std::string(q.unit) + "'"},
            {"as", "total_text"}}}},
         {"encoding", {{"y", y}, {"x", x}, {"tooltip", tooltip}}},
         {"layer",
          {{{"mark", {{"type", "bar"}, {"height", {{"band", 0.75}}}}},
            {"encoding", {{"color", colour}}}},
           {{"mark", {{"type", "text"}, {"align", "left"}, {"dx", 4}, {"fontSize", 11}}},
            {"encoding", {{"text", {{"field", "share_text"}}}}}}}}});
  }
  chart.spec = {
      {"description", chart.description},
      {"hconcat", panels},
      {"spacing", 24},
      {"resolve", {{"scale", {{"x", "independent"}, {"y", "shared"}, {"color", "shared"}}}}}};
  return chart;
}

Chart top_layers_chart(const std::vector<LayerValues>& layers, Quantity quantity, size_t count) {
  const std::vector<Labelled> ordered = in_network_order(layers);
  const QuantityInfo q = info(quantity);
  const std::vector<LayerValues> top = top_layers(layers, quantity, count);
  if (top.empty()) throw Error(std::string("top layers: no layer has a predicted ") + q.key);
  const double total = total_of(layers, quantity);

  Chart chart;
  chart.title = "Top " + std::to_string(top.size()) + " layers by " + q.key;
  chart.description = "The layers with the largest predicted " + std::string(q.key);
  if (quantity != Quantity::power) chart.description += ", with their share of the network's";
  chart.description += ".";
  const size_t with_value = count_with(layers, quantity);
  if (with_value < layers.size()) {
    chart.description += " " + capitalised(q.key) + " is known for " + std::to_string(with_value) +
                         " of " + plural(layers.size(), "layer") + ".";
  }

  json domain = json::array();
  for (const LayerValues& layer : top) {
    const auto it = std::find_if(ordered.begin(), ordered.end(), [&](const Labelled& e) {
      return e.layer->order == layer.order && e.layer->name == layer.name;
    });
    const Labelled& entry = *it;
    json row = row_values(entry, static_cast<int>(layers.size()));
    const double value = *predicted(layer, quantity);
    row["value"] = value;
    std::string text = format_value(value) + " " + q.unit;
    if (quantity != Quantity::power && total != 0) text += " (" + percent(value / total) + ")";
    row["value_text"] = text;
    chart.values.push_back(row);
    domain.push_back(entry.label);
  }
  const json y = {{"field", "label"},
                  {"type", "nominal"},
                  {"scale", {{"domain", domain}}},
                  {"axis", {{"title", nullptr}, {"labelLimit", 260}, {"ticks", false}}}};
  // The network's colours, but only the kinds among these layers in the legend.
  json colour = kind_colour(layers);
  json shown_kinds = json::array();
  for (const auto& kind : colour["scale"]["domain"]) {
    const bool present = std::any_of(top.begin(), top.end(), [&](const LayerValues& layer) {
      return layer.kind == kind.get<std::string>();
    });
    if (present) shown_kinds.push_back(kind);
  }
  colour["legend"]["values"] = shown_kinds;
  const json tooltip =
      json::array({tooltip_field("name", "layer"), tooltip_field("kind", "kind"),
                   tooltip_field("position", "position"), tooltip_field("value_text", q.key)});
  chart.spec = {
      {"description", chart.description},
      {"width", 420},
      {"height", {{"step", kCategoryStep}}},
      {"encoding",
       {{"y", y},
        {"x", {{"field", "value"}, {"type", "quantitative"}, {"axis", value_axis(q.title)}}},
        {"tooltip", tooltip}}},
      {"layer",
       {{{"mark", {{"type", "bar"}, {"height", {{"band", 0.75}}}}},
         {"encoding", {{"color", colour}}}},
        {{"mark", {{"type", "text"}, {"align", "left"}, {"dx", 4}, {"fontSize", 11}}},
         {"encoding", {{"text", {{"field", "value_text"}}}}}}}}};
  return chart;
}

Chart per_layer_chart(const std::vector<LayerValues>& layers) {
  const std::vector<Labelled> ordered = in_network_order(layers);
  const int count = static_cast<int>(layers.size());
  std::vector<Quantity> panels_of = {Quantity::runtime};
  for (Quantity quantity : {Quantity::power, Quantity::energy}) {
    if (count_with(layers, quantity) > 0) panels_of.push_back(quantity);
  }

  Chart chart;
  chart.title = "Per-layer prediction";
  chart.description = "Predicted runtime";
  if (panels_of.size() == 3) chart.description += ", power and energy";
  if (panels_of.size() == 2) {
    chart.description += std::string(" and ") + info(panels_of[1]).key;
  }
  chart.description += " of each of the " + plural(layers.size(), "layer") +
                       " in network order (the paper's Figures 4 and 5).";
  for (Quantity quantity : {Quantity::power, Quantity::energy}) {
    const size_t known = count_with(layers, quantity);
    if (known > 0 && known < layers.size()) {
      chart.description += " " + capitalised(info(quantity).key) + " is missing for " +
                           plural(layers.size() - known, "layer") + " (no bar).";
    }
  }

  for (const Labelled& entry : ordered) {
    json row = row_values(entry, count);
    for (Quantity quantity : kQuantities) {
      if (const auto value = predicted(*entry.layer, quantity)) row[info(quantity).field] = *value;
    }
    chart.values.push_back(row);
  }
  const json labels = labels_of(ordered);
  const int width = panels_of.size() == 1 ? 520 : panels_of.size() == 2 ? 340 : 240;
  json tooltip = json::array({tooltip_field("name", "layer"), tooltip_field("kind", "kind"),
                              tooltip_field("position", "position")});
  json transform = json::array();
  for (Quantity quantity : kQuantities) {
    const QuantityInfo q = info(quantity);
    transform.push_back({{"calculate", shown(q.field, q.unit, "not predicted")},
                         {"as", std::string(q.key) + "_text"}});
    tooltip.push_back(tooltip_field(std::string(q.key) + "_text", q.key));
  }
  json panels = json::array();
  for (size_t p = 0; p < panels_of.size(); ++p) {
    const QuantityInfo q = info(panels_of[p]);
    panels.push_back(
        {{"width", width},
         {"height", {{"step", kLayerStep}}},
         {"transform", {{{"filter", std::string("isValid(datum['") + q.field + "'])"}}}},
         {"mark", {{"type", "bar"}, {"height", {{"band", 0.8}}}}},
         {"encoding",
          {{"y",
            {{"field", "label"},
             {"type", "nominal"},
             {"scale", {{"domain", labels}}},
             {"axis", layer_axis(p == 0)}}},
           {"x", {{"field", q.field}, {"type", "quantitative"}, {"axis", value_axis(q.title)}}},
           {"color", kind_colour(layers)},
           {"tooltip", tooltip}}}});
  }
  chart.spec = {
      {"description", chart.description},
      {"transform", transform},
      {"hconcat", panels},
      {"spacing", 16},
      {"resolve", {{"scale", {{"x", "independent"}, {"y", "shared"}, {"color", "shared"}}}}}};
  return chart;
}

Chart comparison_chart(const std::vector<LayerValues>& layers, const SeriesNames& names) {
  const std::vector<Labelled> ordered = in_network_order(layers);
  const int count = static_cast<int>(layers.size());
  const bool any_baseline =
      std::any_of(layers.begin(), layers.end(), [](const auto& l) { return l.baseline_ms; });
  std::vector<Quantity> panels_of;
  for (Quantity quantity : kQuantities) {
    const bool both = std::any_of(layers.begin(), layers.end(), [&](const LayerValues& layer) {
      return predicted(layer, quantity) && measured(layer, quantity);
    });
    if (both) panels_of.push_back(quantity);
  }

  Chart chart;
  chart.title = "Predicted and measured per layer";
  chart.description = names.predicted + (any_baseline ? " and " + names.baseline : "") +
                      " against " + names.measured +
                      " for each layer in network order (the "
                      "paper's Figures 4 and 5). A layer without a value has no bar.";
  if (panels_of.empty()) {
    throw Error("comparison chart: no layer has both a prediction and a measurement");
  }

  auto add_row = [&](const Labelled& entry, Quantity quantity, const std::string& series,
                     double value, std::optional<double> reference) {
    const QuantityInfo q = info(quantity);
    json row = row_values(entry, count);
    row["quantity"] = q.key;
    row["series"] = series;
    row["value"] = value;
    row["value_text"] = format_value(value) + " " + q.unit;
    if (reference && *reference != 0 && series != names.measured) {
      char text[32];
      std::snprintf(text, sizeof text, "%+.1f %%", 100 * (value - *reference) / *reference);
      row["error_text"] = text;
    } else {
      row["error_text"] = series == names.measured ? "reference" : "not measured";
    }
    chart.values.push_back(row);
  };
  for (const Labelled& entry : ordered) {
    for (Quantity quantity : panels_of) {
      const auto reference = measured(*entry.layer, quantity);
      if (const auto value = predicted(*entry.layer, quantity)) {
        add_row(entry, quantity, names.predicted, *value, reference);
      }
      if (quantity == Quantity::runtime && entry.layer->baseline_ms) {
        add_row(entry, quantity, names.baseline, *entry.layer->baseline_ms, reference);
      }
      if (reference) add_row(entry, quantity, names.measured, *reference, std::nullopt);
    }
  }

  json series_domain = json::array({names.predicted});
  json series_range = json::array({kPredictedColour});
  if (any_baseline) {
    series_domain.push_back(names.baseline);
    series_range.push_back(kBaselineColour);
  }
  series_domain.push_back(names.measured);
  series_range.push_back(kMeasuredColour);
  const json offsets_without_baseline = json::array({names.predicted, names.measured});
  const json labels = labels_of(ordered);
  const int width = panels_of.size() == 1 ? 520 : panels_of.size() == 2 ? 340 : 240;
  const json tooltip =
      json::array({tooltip_field("name", "layer"), tooltip_field("kind", "kind"),
                   tooltip_field("position", "position"), tooltip_field("series", "series"),
                   tooltip_field("value_text", "value"),
                   tooltip_field("error_text", "error against " + names.measured)});
  json panels = json::array();
  for (size_t p = 0; p < panels_of.size(); ++p) {
    const QuantityInfo q = info(panels_of[p]);
    panels.push_back(
        {{"width", width},
         // A fixed height rather than a step, so that a layer's row lines up across panels
         // whether the panel has two series or three.
         {"height", kGroupedRow * count},
         {"transform", {{{"filter", std::string("datum.quantity === '") + q.key + "'"}}}},
         {"mark", {{"type", "bar"}}},
         {"encoding",
          {{"y",
            {{"field", "label"},
             {"type", "nominal"},
             {"scale", {{"domain", labels}, {"paddingInner", 0.25}}},
             {"axis", layer_axis(p == 0)}}},
           {"yOffset",
            {{"field", "series"},
             {"scale",
              {{"domain",
                panels_of[p] == Quantity::runtime ? series_domain : offsets_without_baseline}}}}},
           {"x", {{"field", "value"}, {"type", "quantitative"}, {"axis", value_axis(q.title)}}},
           {"color",
            {{"field", "series"},
             {"type", "nominal"},
             {"title", nullptr},
             {"scale", {{"domain", series_domain}, {"range", series_range}}},
             {"legend", {{"orient", "top"}}}}},
           {"tooltip", tooltip}}}});
  }
  chart.spec = {
      {"description", chart.description},
      {"hconcat", panels},
      {"spacing", 16},
      // Each panel's bands are sized by its own series offsets, so the y scales (same domain) are
      // the panels' own.
      {"resolve", {{"scale", {{"x", "independent"}, {"y", "independent"}, {"color", "shared"}}}}}};
  return chart;
}

Chart comparison_scatter(const std::vector<LayerValues>& layers, const SeriesNames& names) {
  const std::vector<Labelled> ordered = in_network_order(layers);
  const int count = static_cast<int>(layers.size());
  Chart chart;
  chart.title = names.predicted + " against " + names.measured;
  chart.description =
      "One point a layer; on the diagonal the prediction equals the measurement. "
      "Log scales; layers without both values, or with a value at or below zero, "
      "are left out.";
  json panels = json::array();
  size_t left_out = 0;
  for (Quantity quantity : kQuantities) {
    const QuantityInfo q = info(quantity);
    double low = INFINITY;
    double high = 0;
    size_t points = 0;
    for (const Labelled& entry : ordered) {
      const auto value = predicted(*entry.layer, quantity);
      const auto reference = measured(*entry.layer, quantity);
      if (!value || !reference) continue;
      if (*value <= 0 || *reference <= 0) {
        ++left_out;
        continue;
      }
      json row = row_values(entry, count);
      row["quantity"] = q.key;
      row["predicted"] = *value;
      row["measured"] = *reference;
      row["predicted_text"] = format_value(*value) + " " + q.unit;
      row["measured_text"] = format_value(*reference) + " " + q.unit;
      char text[32];
      std::snprintf(text, sizeof text, "%+.1f %%", 100 * (*value - *reference) / *reference);
      row["error_text"] = text;
      chart.values.push_back(row);
      low = std::min({low, *value, *reference});
      high = std::max({high, *value, *reference});
      ++points;
    }
    if (points == 0) continue;
    const json scale = {{"type", "log"}, {"domain", {low / 1.5, high * 1.5}}, {"nice", false}};
    // Log axes label every 1..9 multiple by default; a few labelled ticks read better.
    const json axis = {{"tickCount", 5}, {"labelOverlap", "greedy"}, {"format", "~g"}};
    const std::string x_title = names.measured + " " + q.title;
    const std::string y_title = names.predicted + " " + q.title;
    const json diagonal = json::array({{{"v", low / 1.5}}, {{"v", high * 1.5}}});
    const json tooltip = json::array(
        {tooltip_field("name", "layer"), tooltip_field("kind", "kind"),
         tooltip_field("position", "position"), tooltip_field("predicted_text", names.predicted),
         tooltip_field("measured_text", names.measured), tooltip_field("error_text", "error")});
    panels.push_back(
        {{"width", 300},
         {"height", 300},
         {"layer",
          {{{"data", {{"values", diagonal}}},
            {"mark", {{"type", "line"}, {"color", "#999"}, {"strokeDash", {4, 4}}}},
            {"encoding",
             {{"x",
               {{"field", "v"}, {"type", "quantitative"}, {"scale", scale}, {"title", x_title}}},
              {"y",
               {{"field", "v"}, {"type", "quantitative"}, {"scale", scale}, {"title", y_title}}}}}},
           {{"transform", {{{"filter", std::string("datum.quantity === '") + q.key + "'"}}}},
            {"mark", {{"type", "point"}, {"filled", true}, {"size", 40}, {"opacity", 0.8}}},
            {"encoding",
             {{"x",
               {{"field", "measured"},
                {"type", "quantitative"},
                {"scale", scale},
                {"axis", axis},
                {"title", x_title}}},
              {"y",
               {{"field", "predicted"},
                {"type", "quantitative"},
                {"scale", scale},
                {"axis", axis},
                {"title", y_title}}},
              {"color", kind_colour(layers)},
              {"tooltip", tooltip}}}}}},
         {"resolve", {{"scale", {{"x", "shared"}, {"y", "shared"}}}}}});
  }
  if (panels.empty()) {
    throw Error("comparison scatter: no layer has both a prediction and a measurement above zero");
  }
  if (left_out > 0) {
    chart.description +=
        " Left out for a value at or below zero: " + std::to_string(left_out) + ".";
  }
  chart.spec = {
      {"description", chart.description},
      {"hconcat", panels},
      {"spacing", 32},
      {"resolve", {{"scale", {{"x", "independent"}, {"y", "independent"}, {"color", "shared"}}}}}};
  return chart;
}

Chart epr_chart(const std::vector<EprPoint>& networks) {
  if (networks.empty()) throw Error("epr chart: no networks");
  double low = INFINITY;
  double high = 0;
  for (const EprPoint& point : networks) {
    if (!std::isfinite(point.error_pct) || !std::isfinite(point.epi_mj) || point.epi_mj <= 0) {
      throw Error("network '" + point.name + "': error and energy per image must be finite, " +
                  "energy above zero");
    }
    low = std::min(low, point.epi_mj);
    high = std::max(high, point.epi_mj);
  }
  Chart chart;
  chart.title = "Error against energy per image";
  chart.description =
      "Top-1 error and predicted energy per image of each network (the paper's "
      "Figure 1). The line joins the networks that no other network beats on "
      "both error and energy.";
  for (size_t i = 0; i < networks.size(); ++i) {
    const EprPoint& point = networks[i];
    bool dominated = false;
    for (size_t j = 0; j < networks.size() && !dominated; ++j) {
      const EprPoint& other = networks[j];
      dominated = j != i && other.error_pct <= point.error_pct && other.epi_mj <= point.epi_mj &&
                  (other.error_pct < point.error_pct || other.epi_mj < point.epi_mj);
    }
    chart.values.push_back({{"name", point.name},
                            {"error_pct", point.error_pct},
                            {"epi_mj", point.epi_mj},
                            {"front", dominated ? "dominated" : "Pareto front"},
                            {"error_text", format_value(point.error_pct) + " %"},
                            {"epi_text", format_value(point.epi_mj) + " mJ"}});
  }
  // A log scale once the energies span a decade: the paper's networks differ by 40x.
  const bool log_scale = high / low >= 10;
  const json x_scale =
      log_scale ? json{{"type", "log"}, {"nice", false}, {"domain", {low / 1.4, high * 1.4}}}
                : json{{"zero", false}, {"padding", 20}};
  const json x = {{"field", "epi_mj"},
                  {"type", "quantitative"},
                  {"scale", x_scale},
                  {"axis", {{"tickCount", 6}, {"labelOverlap", "greedy"}}},
                  {"title", "energy per image (mJ)" + std::string(log_scale ? ", log scale" : "")}};
  const json y = {{"field", "error_pct"},
                  {"type", "quantitative"},
                  {"scale", {{"zero", false}, {"padding", 16}}},
                  {"title", "top-1 error (%)"}};
  const json tooltip =
      json::array({tooltip_field("name", "network"), tooltip_field("error_text", "top-1 error"),
                   tooltip_field("epi_text", "energy per image"), tooltip_field("front", "")});
  chart.spec = {
      {"description", chart.description},
      {"width", 560},
      {"height", 360},
      {"encoding", {{"x", x}, {"y", y}}},
      {"layer",
       {{{"transform", {{{"filter", "datum.front === 'Pareto front'"}}}},
         {"mark",
          {{"type", "line"},
           {"color", "#59a14f"},
           {"strokeWidth", 1.5},
           {"interpolate", "step-after"}}},
         {"encoding", {{"order", {{"field", "epi_mj"}, {"type", "quantitative"}}}}}},
        {{"mark", {{"type", "point"}, {"filled", true}, {"size", 70}}},
         {"encoding",
          {{"color",
            {{"field", "front"},
             {"type", "nominal"},
             {"title", nullptr},
             {"scale",
              {{"domain", {"Pareto front", "dominated"}}, {"range", {"#59a14f", "#4e79a7"}}}},
             {"legend", {{"orient", "top-right"}}}}},
           {"tooltip", tooltip}}}},
        {{"mark", {{"type", "text"}, {"align", "left"}, {"dx", 7}, {"dy", -6}, {"fontSize", 11}}},
         {"encoding", {{"text", {{"field", "name"}}}}}}}}};
  return chart;
}

SummaryTable kind_share_table(const std::vector<LayerValues>& layers) {
  const std::vector<KindShare> runtime = kind_shares(layers, Quantity::runtime);
  const bool with_energy = count_with(layers, Quantity::energy) > 0;
  std::map<std::string, KindShare> energy;
  if (with_energy) {
    for (const KindShare& share : kind_shares(layers, Quantity::energy)) energy[share.kind] = share;
  }
  SummaryTable table;
  table.title = "Share by layer kind";
  table.columns = {"kind", "layers", "runtime (ms)", "runtime share"};
  table.numeric_columns = {1, 2, 3};
  if (with_energy) {
    table.columns.insert(table.columns.end(), {"energy (mJ)", "energy share"});
    table.numeric_columns.insert(table.numeric_columns.end(), {4, 5});
  }
  for (const KindShare& share : runtime) {
    std::vector<std::string> row = {share.kind, std::to_string(share.layers),
                                    format_value(share.total), percent(share.share)};
    if (with_energy) {
      const auto it = energy.find(share.kind);
      row.push_back(it == energy.end() ? "-" : format_value(it->second.total));
      row.push_back(it == energy.end() ? "-" : percent(it->second.share));
    }
    table.rows.push_back(row);
  }
  return table;
}

SummaryTable top_layers_table(const std::vector<LayerValues>& layers, Quantity quantity,
                              size_t count) {
  const QuantityInfo q = info(quantity);
  const std::vector<LayerValues> top = top_layers(layers, quantity, count);
  const double total = total_of(layers, quantity);
  SummaryTable table;
  table.title = "Top " + std::to_string(top.size()) + " layers by " + q.key;
  table.columns = {"#", "layer", "kind", q.title};
  table.numeric_columns = {0, 3};
  if (quantity != Quantity::power) {
    table.columns.push_back("share");
    table.numeric_columns.push_back(4);
  }
  for (const LayerValues& layer : top) {
    const double value = *predicted(layer, quantity);
    std::vector<std::string> row = {std::to_string(layer.order + 1), layer.name, layer.kind,
                                    format_value(value)};
    if (quantity != Quantity::power) row.push_back(total != 0 ? percent(value / total) : "-");
    table.rows.push_back(row);
  }
  return table;
}

}  // namespace np::html
