"""SummaryWriter: scalars, histograms and text as TensorBoard event files."""
from __future__ import annotations

import os
import socket
import time
from datetime import datetime

import numpy as np
from tensorboard.compat.proto.event_pb2 import Event
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.summary.writer.event_file_writer import EventFileWriter


def _num(v) -> float:
    return float(v.item() if hasattr(v, "item") else v)


def _array(v) -> np.ndarray:
    if hasattr(v, "detach"):
        v = v.detach().float().numpy() if v.dtype.is_floating_point else v.detach().numpy()
    return np.asarray(v, dtype=np.float64).reshape(-1)


class SummaryWriter:
    """Matches `torch.utils.tensorboard.SummaryWriter` for scalars, histograms and text.

    Images, audio, video, graphs, embeddings, meshes and PR curves raise NotImplementedError.
    """

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120,
                 filename_suffix=""):
        if not log_dir:
            now = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", now + "_" + socket.gethostname() + comment)
        self.log_dir = log_dir
        self.purge_step = purge_step
        self._kw = dict(max_queue_size=max_queue, flush_secs=flush_secs,
                        filename_suffix=filename_suffix)
        self._writer = EventFileWriter(log_dir, **self._kw)
        self._sub = {}

    def get_logdir(self) -> str:
        return self.log_dir

    def _event(self, writer, summary, global_step, walltime):
        ev = Event(summary=summary, wall_time=time.time() if walltime is None else walltime)
        if global_step is not None:
            ev.step = int(global_step)
        writer.add_event(ev)

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        summary = Summary(value=[Summary.Value(tag=tag, simple_value=_num(scalar_value))])
        self._event(self._writer, summary, global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        for tag, v in tag_scalar_dict.items():
            path = os.path.join(self.log_dir, main_tag.replace("/", "_") + "_" + tag)
            if path not in self._sub:
                self._sub[path] = EventFileWriter(path, **self._kw)
            summary = Summary(value=[Summary.Value(tag=main_tag, simple_value=_num(v))])
            self._event(self._sub[path], summary, global_step, walltime)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None,
                      max_bins=None):
        a = _array(values)
        counts, edges = np.histogram(a, bins="auto" if bins == "tensorflow" else bins)
        hist = HistogramProto(min=float(a.min()), max=float(a.max()), num=int(a.size),
                              sum=float(a.sum()), sum_squares=float((a * a).sum()),
                              bucket_limit=edges[1:].tolist(), bucket=counts.tolist())
        self._event(self._writer, Summary(value=[Summary.Value(tag=tag, histo=hist)]),
                    global_step, walltime)

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="text"))
        tensor = TensorProto(dtype="DT_STRING", string_val=[text_string.encode("utf-8")],
                             tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)]))
        value = Summary.Value(tag=tag + "/text_summary", metadata=meta, tensor=tensor)
        self._event(self._writer, Summary(value=[value]), global_step, walltime)

    def _unsupported(self, *args, **kwargs):
        raise NotImplementedError("this SummaryWriter method is not supported by jtorch "
                                  "(scalars, histograms and text are)")

    add_image = add_images = add_figure = add_video = add_audio = add_graph = add_embedding = \
        add_pr_curve = add_mesh = add_hparams = add_custom_scalars = _unsupported

    def flush(self):
        self._writer.flush()
        for w in self._sub.values():
            w.flush()

    def close(self):
        self._writer.close()
        for w in self._sub.values():
            w.close()
        self._sub = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
