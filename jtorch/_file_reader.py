"""`torch.PyTorchFileReader`: reads the records of a torch zip checkpoint (stdlib zipfile)."""
from __future__ import annotations

import os
import zipfile


class PyTorchFileReader:
    """Matches `torch.PyTorchFileReader` (a path or a binary file object)."""

    def __init__(self, file):
        if isinstance(file, (str, os.PathLike)):
            if not os.path.exists(file):
                raise RuntimeError(f"open file failed because of errno 2 on fopen: No such file or "
                                   f"directory, file path: {os.fspath(file)}")
        try:
            self._zip = zipfile.ZipFile(file)
        except zipfile.BadZipFile as e:
            raise RuntimeError("PytorchStreamReader failed reading zip archive: failed finding "
                               "central directory") from e
        names = self._zip.namelist()
        self._prefix = names[0].split("/", 1)[0] + "/" if names else ""
        self._info = {n[len(self._prefix):]: i for n, i in zip(names, self._zip.infolist())}

    def _get(self, name: str) -> zipfile.ZipInfo:
        if name not in self._info:
            raise RuntimeError(f"PytorchStreamReader failed locating file {name}: file not found")
        return self._info[name]

    def get_all_records(self) -> list[str]:
        return list(self._info)

    def has_record(self, name: str) -> bool:
        return name in self._info

    def get_record(self, name: str) -> bytes:
        return self._zip.read(self._get(name))

    def get_record_size(self, name: str) -> int:
        return self._get(name).file_size

    def get_record_header_offset(self, name: str) -> int:
        return self._get(name).header_offset

    def get_record_offset(self, name: str) -> int:
        # Data starts after the local header: 30 fixed bytes + name + extra field.
        info = self._get(name)
        fp = self._zip.fp
        pos = fp.tell()
        try:
            fp.seek(info.header_offset + 26)
            head = fp.read(4)
        finally:
            fp.seek(pos)
        n, extra = int.from_bytes(head[:2], "little"), int.from_bytes(head[2:], "little")
        return info.header_offset + 30 + n + extra


    def serialization_id(self) -> str:
        return self.get_record(".data/serialization_id").decode() if self.has_record(
            ".data/serialization_id") else ""
