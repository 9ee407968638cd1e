// ONNX ops that move or view data: transpose, reshapes, slices, splits, pads, and the ops that
// pass data through (Dropout, Identity, Cast). Reshape targets become per-sample shapes so that
// the network's batch can change after import.
#include <algorithm>

#include "attributes.hpp"
#include "constant_folding.hpp"
#include "neuralpower/checked.hpp"
#include "op_handlers.hpp"
#include "shape_ops.hpp"

namespace np::onnx_import {
namespace {

// The per-sample shape of a view from `in` to `out`; the batch must stay at dim 0.
Shape per_sample(const Shape& in, const Shape& out) {
  if (out.empty() || out[0] != in[0]) {
    throw Error("reshaping " + shape_to_string(in) + " to " + shape_to_string(out) +
                " moves the batch dim; only per-sample reshapes are modelled");
  }
  return Shape(out.begin() + 1, out.end());
}

std::vector<int64_t> axes_input(Context& ctx, const onnx::NodeProto& node, int k) {
  if (const Tensor* t = ctx.input(node, k)) return integer_values(*t, "axes");
  return ints_attribute(node, "axes").value_or(std::vector<int64_t>{});
}

bool has_axes(Context& ctx, const onnx::NodeProto& node, int k) {
  return ctx.input(node, k) != nullptr || find_attribute(node, "axes") != nullptr;
}

Shape reshape_output(Context& ctx, const onnx::NodeProto& node, const Tensor& x) {
  const std::string& op = node.op_type();
  const auto rank = static_cast<int64_t>(x.shape.size());
  if (op == "Reshape") {
    std::vector<int64_t> target;
    const Tensor* given = ctx.input(node, 1);
    if (given && given->values) {
      target = integer_values(*given, "the target shape");
    } else if (!given && find_attribute(node, "shape")) {
      target = *ints_attribute(node, "shape");
    } else if (const auto* inferred = ctx.inferred(node.output(0));
               inferred &&
               std::all_of(inferred->begin(), inferred->end(), [](int64_t d) { return d >= 0; })) {
      target = *inferred;  // ONNX's data propagation resolved what folding could not
    } else if (given && given->is_data) {
      throw Unsupported("a target shape computed from data values is not modelled");
    } else {
      throw Error("the target shape is not known at import");
    }
    return reshape_shape(x.shape, target, int_attribute(node, "allowzero", 0) != 0);
  }
  if (op == "Squeeze") {
    std::vector<int64_t> axes;
    if (has_axes(ctx, node, 1)) {
      axes = normalize_axes(axes_input(ctx, node, 1), rank, "axis");
    } else {
      if (x.shape[0] == 1) {
        throw Error("Squeeze without axes would also drop the batch dim of 1; it is not modelled");
      }
      for (int64_t i = 1; i < rank; ++i) {
        if (x.shape[static_cast<size_t>(i)] == 1) axes.push_back(i);
      }
    }
    // Squeezing dim 0 moves it: the reshape then works per replica (see map_reshape).
    return squeeze_shape(x.shape, axes);
  }
  // Unsqueeze
  const auto axes = axes_input(ctx, node, 1);
  const auto out_rank = rank + static_cast<int64_t>(axes.size());
  normalize_axes(axes, out_rank, "axis");
  // A dim in front of dim 0 (a detector's list of images stacked into a batch) moves dim 0:
  // the reshape then works per replica (see map_reshape).
  return unsqueeze_shape(x.shape, axes);
}

void emit_slices(Context& ctx, const onnx::NodeProto& node, const std::string& output,
                 const Tensor& x, const std::vector<SliceAttrs>& slices,
                 const std::string& name_suffix) {
  if (slices.empty()) {
    Layer same = node_layer(node, LayerKind::identity, NoAttrs{}, {x.layer});
    same.name += name_suffix;
    ctx.emit(std::move(same), output);
    return;
  }
  int from = x.layer;
  for (size_t i = 0; i < slices.size(); ++i) {
    Layer layer = node_layer(node, LayerKind::slice, slices[i], {from});
    layer.name += name_suffix;
    from = ctx.emit(std::move(layer), i + 1 == slices.size() ? output : "");
  }
}

}  // namespace

// A transpose or reshape that moves dim 0 works per replica of the file-batch network (see
// TransposeAttrs): it records the input's dim 0 at the file's batch.
void map_transpose(Context& ctx, const onnx::NodeProto& node) {
  const Tensor& x = ctx.data_input(node, 0);
  TransposeAttrs a;
  a.perm = ints_attribute(node, "perm").value_or(reversed_perm(x.shape.size()));
  const Shape out = transpose_shape(x.shape, a.perm);
  if (a.perm[0] != 0) a.leading_in = x.shape[0];
  const auto& readers = ctx.readers(node.output(0));
  const bool only_gathers =
      !readers.empty() && std::all_of(readers.begin(), readers.end(),
                                      [](const std::string& op) { return op == "Gather"; });
  if (a.perm[0] != 0 && only_gathers) {
    Tensor pending = x;
    pending.shape = out;
    pending.transpose = PendingTranspose{node_display_name(node), a.perm};
    ctx.define(node.output(0), std::move(pending));
    return;
  }
  ctx.emit(node_layer(node, LayerKind::transpose, a, {x.layer}), node.output(0));
}

void map_reshape(Context& ctx, const onnx::NodeProto& node) {
  const Tensor& x = ctx.data_input(node, 0);
  const Shape out = reshape_output(ctx, node, x);
  if (node.op_type() == "Unsqueeze") ctx.note_stacking(node, x.layer, out);
  ReshapeAttrs a;
  if (!out.empty() && out[0] == x.shape[0]) {
    a.sample_shape = per_sample(x.shape, out);
  } else {
    a.sample_shape = out;
    a.leading_in = x.shape[0];
  }
  ctx.emit(node_layer(node, LayerKind::reshape, a, {x.layer}), node.output(0));
}

void map_flatten(Context& ctx, const onnx::NodeProto& node) {
  const Tensor& x = ctx.data_input(node, 0);
  const auto rank = static_cast<int64_t>(x.shape.size());
  const int64_t axis = normalize_axis(int_attribute(node, "axis", 1), rank + 1, "axis");
  const Shape out = flatten_shape(x.shape, axis);
  if (out[0] != x.shape[0]) {  // dim 0 merged with others (Faster R-CNN's anchors): per replica
    ctx.emit(node_layer(node, LayerKind::reshape, ReshapeAttrs{out, x.shape[0]}, {x.layer}),
             node.output(0));
    return;
  }
  const Shape sample = per_sample(x.shape, out);
  if (axis == 1) {
    ctx.emit(node_layer(node, LayerKind::flatten, NoAttrs{}, {x.layer}), node.output(0));
    return;
  }
  ctx.emit(node_layer(node, LayerKind::reshape, ReshapeAttrs{sample}, {x.layer}), node.output(0));
}

void map_slice(Context& ctx, const onnx::NodeProto& node) {
  const Tensor& x = ctx.data_input(node, 0);
  for (int k = 1; k < node.input_size(); ++k) {
    if (ctx.is_data(node, k)) throw Unsupported("Slice bounds computed from data are not modelled");
  }
  const auto spec = slice_spec(node, ctx.inputs(node), static_cast<int64_t>(x.shape.size()));
  std::vector<SliceAttrs> slices;
  for (size_t i = 0; i < spec.axes.size(); ++i) {
    const auto axis = spec.axes[i];
    const int64_t dim = x.shape[static_cast<size_t>(axis)];
    const SliceRange r = slice_range(dim, spec.starts[i], spec.ends[i], spec.steps[i]);
    if (r.step < 0) throw Unsupported("a negative slice step is not modelled");
    if (r.start == 0 && r.step == 1 && r.count == dim) continue;  // the whole dim
    if (axis == 0) throw Error("slicing the batch axis is not modelled");
    if (r.count == 0) {
      throw Error("slice " + std::to_string(spec.starts[i]) + ":" + std::to_string(spec.ends[i]) +
                  " of dim " + std::to_string(axis) + " (" + std::to_string(dim) + ") is empty");
    }
    SliceAttrs a;
    a.axis = axis;
    a.start = r.start;
    a.end = r.end;
    a.step = r.step;
    slices.push_back(a);
  }
  emit_slices(ctx, node, node.output(0), x, slices, "");
}

namespace {

// Gather(Transpose(x, perm), i) along dim 0 is Transpose(Slice(x, perm[0], i), rest of perm):
// slice the input, drop the sliced dim, permute the others.
void gather_from_pending_transpose(Context& ctx, const onnx::NodeProto& node, const Tensor& x,
                                   const std::vector<int64_t>& index) {
  const PendingTranspose pending = *x.transpose;  // copies: emit() below grows the tables
  const int64_t axis =
      normalize_axis(int_attribute(node, "axis", 0), static_cast<int64_t>(x.shape.size()), "axis");
  if (axis != 0 || index.size() != 1 || !ctx.tensor(node.input(1)).shape.empty()) {
    throw Unsupported("a Gather of the output of Transpose node '" + pending.node +
                      "' is modelled only for one scalar index along dim 0");
  }
  const int64_t source_axis = pending.perm[0];
  const Shape source = ctx.layers().at(static_cast<size_t>(x.layer)).output_shape;
  const int64_t dim = source[static_cast<size_t>(source_axis)];
  const int64_t i = index[0] < 0 ? index[0] + dim : index[0];
  if (i < 0 || i >= dim) {
    throw Error("Gather index " + std::to_string(index[0]) + " is outside a dim of " +
                std::to_string(dim));
  }
  Layer part = node_layer(node, LayerKind::slice, SliceAttrs{source_axis, i, i + 1, 1}, {x.layer});
  part.name += "/slice";
  int last = ctx.emit(std::move(part), "");
  Shape sample(source.begin() + 1, source.end());
  sample.erase(sample.begin() + (source_axis - 1));
  std::vector<int64_t> rest;
  for (size_t k = 1; k < pending.perm.size(); ++k) {
    const int64_t p = pending.perm[k];
    rest.push_back(p > source_axis ? p - 1 : p);
  }
  bool identity = true;
  for (size_t k = 0; k < rest.size(); ++k)
    identity = identity && rest[k] == static_cast<int64_t>(k);
  Layer squeeze = node_layer(node, LayerKind::reshape, ReshapeAttrs{sample}, {last});
  if (identity) {
    ctx.emit(std::move(squeeze), node.output(0));
    return;
  }
  squeeze.name += "/squeeze";
  last = ctx.emit(std::move(squeeze), "");
  TransposeAttrs permute{rest};
  if (rest[0] != 0) permute.leading_in = source[0];
  ctx.emit(node_layer(node, LayerKind::transpose, permute, {last}), node.output(0));
}

}  // namespace

// Gather of one constant index along an axis other than 0 (ViT's class token, x[:, 0]) is a
// slice of that axis, and for a scalar index a reshape dropping it.
void map_gather(Context& ctx, const onnx::NodeProto& node) {
  const Tensor& indices = ctx.required_input(node, 1);
  if (indices.is_data) {
    throw Unsupported("Gather of indices computed from data (an embedding) is not modelled");
  }
  const Tensor& data = ctx.required_input(node, 0);
  if (data.is_data && data.transpose) {
    if (!indices.values) throw Error("Gather indices are not known at import");
    gather_from_pending_transpose(ctx, node, data, integer_values(indices, "indices"));
    return;
  }
  const Tensor& x = ctx.data_input(node, 0);
  const auto rank = static_cast<int64_t>(x.shape.size());
  const int64_t axis = normalize_axis(int_attribute(node, "axis", 0), rank, "axis");
  const auto values = indices.values ? integer_values(indices, "indices") : std::vector<int64_t>{};
  if (axis == 0 && x.shape[0] == 1 && values.size() == 1 && indices.shape.empty() &&
      (values[0] == 0 || values[0] == -1) && rank > 1) {
    // Image 0 of a batch of one (a detector's transform): a view that drops dim 0, per replica.
    ReshapeAttrs squeeze{Shape(x.shape.begin() + 1, x.shape.end()), 1};
    ctx.emit(node_layer(node, LayerKind::reshape, squeeze, {x.layer}), node.output(0));
    return;
  }
  if (axis == 0 || values.size() != 1 || indices.shape.size() > 1) {
    throw Unsupported("Gather is modelled only for one constant index off dim 0");
  }
  const int64_t dim = x.shape[static_cast<size_t>(axis)];
  const int64_t index = values[0] < 0 ? values[0] + dim : values[0];
  if (index < 0 || index >= dim) {
    throw Error("Gather index " + std::to_string(values[0]) + " is outside a dim of " +
                std::to_string(dim));
  }
  const SliceAttrs slice{axis, index, index + 1, 1};
  if (!indices.shape.empty()) {
    emit_slices(ctx, node, node.output(0), x, {slice}, "");
    return;
  }
  Layer part = node_layer(node, LayerKind::slice, slice, {x.layer});
  part.name += "/slice";
  const int sliced = ctx.emit(std::move(part), "");
  Shape sample(x.shape.begin() + 1, x.shape.end());
  sample.erase(sample.begin() + (axis - 1));
  if (sample.empty()) throw Unsupported("Gather down to a batch of scalars is not modelled");
  ctx.emit(node_layer(node, LayerKind::reshape, ReshapeAttrs{sample}, {sliced}), node.output(0));
}

void map_split(Context& ctx, const onnx::NodeProto& node) {
  const Tensor& x = ctx.data_input(node, 0);
  const auto rank = static_cast<int64_t>(x.shape.size());
  const int64_t axis = normalize_axis(int_attribute(node, "axis", 0), rank, "axis");
  const int64_t dim = x.shape[static_cast<size_t>(axis)];
  const auto sizes = split_sizes(node, ctx.inputs(node), dim, ctx.opset());
  if (static_cast<int>(sizes.size()) != node.output_size()) {
    throw Error(std::to_string(sizes.size()) + " split sizes for " +
                std::to_string(node.output_size()) + " outputs");
  }
  if (axis == 0 && sizes.size() > 1) throw Error("splitting the batch axis is not modelled");
  int64_t offset = 0;
  for (int k = 0; k < node.output_size(); ++k) {
    const int64_t size = sizes[static_cast<size_t>(k)];
    if (!node.output(k).empty()) {
      std::vector<SliceAttrs> slices;
      if (size == 0) throw Error("split part " + std::to_string(k) + " is empty");
      if (size != dim) slices.push_back(SliceAttrs{axis, offset, offset + size, 1});
      emit_slices(ctx, node, node.output(k), x, slices,
                  node.output_size() > 1 ? "/" + std::to_string(k) : "");
    }
    offset += size;
  }
}

void map_pad(Context& ctx, const onnx::NodeProto& node) {
  const Tensor& x = ctx.data_input(node, 0, true);
  const auto rank = static_cast<int64_t>(x.shape.size());
  std::vector<int64_t> pads;
  if (const Tensor* given = ctx.input(node, 1)) {
    if (given->is_data) throw Unsupported("pads computed from data are not modelled");
    pads = integer_values(*given, "pads");
  } else if (auto attr = ints_attribute(node, "pads")) {
    pads = *attr;
  } else {
    pads = ints_attribute(node, "paddings").value_or(std::vector<int64_t>{});
  }
  std::vector<int64_t> axes;
  if (const Tensor* listed = ctx.input(node, 3)) {
    axes = normalize_axes(integer_values(*listed, "axes"), rank, "axis");
  } else {
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  if (pads.size() != 2 * axes.size()) {
    throw Error("pads " + list_to_string(pads) + " do not have 2 values per padded axis");
  }
  std::vector<int64_t> begin(static_cast<size_t>(rank), 0), end(static_cast<size_t>(rank), 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    begin[static_cast<size_t>(axes[i])] = pads[i];
    end[static_cast<size_t>(axes[i])] = pads[i + axes.size()];
  }
  for (int64_t p : pads) {
    if (p > kMaxTensorElements) throw Error("pad of " + std::to_string(p) + " is absurd");
  }
  const bool nothing = std::all_of(pads.begin(), pads.end(), [](int64_t p) { return p == 0; });
  if (nothing) {
    ctx.define(node.output(0), x);  // a no-op: the output is the input
    return;
  }
  const std::string mode = string_attribute(node, "mode", "constant");
  const bool spatial_only = rank == 4 && begin[0] == 0 && end[0] == 0 && begin[1] == 0 &&
                            end[1] == 0 &&
                            std::all_of(pads.begin(), pads.end(), [](int64_t p) { return p >= 0; });
  if (!spatial_only || (mode != "constant" && mode != "reflect" && mode != "edge")) {
    throw Unsupported("Pad " + list_to_string(pads) + " (mode " + mode + ") of " +
                      shape_to_string(x.shape) +
                      " is modelled only as height/width padding read by a Conv or pooling");
  }
  for (const auto& reader : ctx.readers(node.output(0))) {
    if (reader != "Conv" && reader != "MaxPool" && reader != "AveragePool") {
      throw Unsupported(
          "Pad is modelled only when Conv or pooling nodes read it; here " +
          (reader == "graph output" ? "it is a graph output" : "a " + reader + " node reads it"));
    }
  }
  Tensor padded = x;
  PendingPad pad = x.pad.value_or(PendingPad{});
  pad.node = node_display_name(node);
  pad.top += begin[2];
  pad.left += begin[3];
  pad.bottom += end[2];
  pad.right += end[3];
  padded.shape[2] = checked_add(x.shape[2], begin[2] + end[2], "padded height");
  padded.shape[3] = checked_add(x.shape[3], begin[3] + end[3], "padded width");
  count_elements(padded.shape);
  padded.pad = pad;
  ctx.define(node.output(0), padded);
}

void map_passthrough(Context& ctx, const onnx::NodeProto& node) {
  const Tensor& x = ctx.data_input(node, 0);
  const std::string& op = node.op_type();
  const LayerKind kind = op == "Dropout" ? LayerKind::dropout
                         : op == "Cast"  ? LayerKind::cast
                                         : LayerKind::identity;
  ctx.emit(node_layer(node, kind, NoAttrs{}, {x.layer}), node.output(0));
}

}  // namespace np::onnx_import
