"""Tokenizers for gajax's decoders: an HF ``tokenizer.json`` or the vocabulary embedded in a GGUF file.

:class:`Tokenizer` wraps a ``tokenizers.Tokenizer`` and renders chat templates the way ``transformers``
does (sandboxed jinja2 with ``trim_blocks``/``lstrip_blocks``, ``raise_exception``, ``strftime_now``, a JSON
``tojson`` and the special tokens as variables), so prompts are byte-identical to what the model was tuned on.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tokenizers
from tokenizers import AddedToken, Regex, decoders, models, pre_tokenizers, processors

if TYPE_CHECKING:
    from gajax.convert.gguf import GGUFFile

TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_CONFIG_FILE = "tokenizer_config.json"
CHAT_TEMPLATE_FILE = "chat_template.jinja"

# Tokens that close a turn in common chat templates; one counts as a stop token when the template uses it.
END_OF_TURN_TOKENS = ("<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|end_of_turn|>", "</s>")

# GPT-2's split (as in ``pre_tokenizers.ByteLevel(use_regex=True)``) and LLaMA-3's.
_LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

# GGUF token types (llama.cpp's llama_token_type).
_NORMAL, _CONTROL, _USER_DEFINED, _UNUSED = 1, 3, 4, 5
# llama.cpp's ``tokenizer.ggml.pre`` names for the byte-level pre-tokenizers gajax writes (see _gguf_pre_name).
_GGUF_PRE_NAMES = ("gpt2", "smollm", "llama-bpe")
_LLAMA3_PRE_NAMES = ("llama3", "llama-v3", "llama-bpe", "smaug-bpe", "falcon3", "dbrx")


# Turn and control markers of common templates, whatever the tokenizer in use declares.
_CONTROL_MARKER = re.compile(r"<\|[^<>|\n]{0,64}\|>|</?s>|\[/?INST\]|<</?SYS>>|<start_of_turn>|<end_of_turn>")


def _defuse(marker: str) -> str:
    """``marker`` with its first ASCII character replaced by the full-width look-alike (``<`` -> ``＜``)."""
    first = marker[0]
    if "!" <= first <= "~":
        return chr(ord(first) + 0xFEE0) + marker[1:]
    return "\u2060".join(marker)


def defuse_markers(text: str, special_tokens: Iterable[str] = ()) -> str:
    """Text that can no longer spell a special token or a turn marker: every string in ``special_tokens`` and
    every common control marker (``<|...|>``, ``</s>``, ``[INST]``, ``<<SYS>>``) gets a full-width first character.

    The one rule for text that goes into a prompt (chat messages, guideline blocks, Vicuna prompts): what a user
    writes stays text and never becomes a control token. Text without those patterns is returned unchanged.
    """
    for token in sorted({t for t in special_tokens if t}, key=len, reverse=True):
        text = text.replace(token, _defuse(token))
    return _CONTROL_MARKER.sub(lambda m: _defuse(m.group()), text)


def special_token_strings(tokenizer: Any) -> list[str]:
    """Every special or added token string of a gajax :class:`Tokenizer` (empty for None)."""
    if tokenizer is None:
        return []
    strings = set(getattr(tokenizer, "special_tokens", {}).values())
    backend = getattr(tokenizer, "backend", None)
    if backend is not None:
        strings.update(t.content for t in backend.get_added_tokens_decoder().values())
    return sorted(s for s in strings if s)


class TokenizerError(ValueError):
    """A tokenizer file that cannot be read or used."""


class ChatTemplateError(ValueError):
    """A chat template that is missing or fails to render."""


def _byte_level_pre_tokenizer(pre: str, source: str) -> pre_tokenizers.PreTokenizer:
    """The pre-tokenizer llama.cpp names ``pre`` (``tokenizer.ggml.pre``) for a byte-level BPE vocabulary."""
    if pre in ("", "default", "gpt2", "gpt-2"):
        return pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    if pre == "smollm":
        # SmolLM's own tokenizer.json: digits one by one, then GPT-2's byte-level split.
        return pre_tokenizers.Sequence(
            [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)]
        )
    if pre in _LLAMA3_PRE_NAMES:
        return pre_tokenizers.Sequence(
            [
                pre_tokenizers.Split(Regex(_LLAMA3_SPLIT), behavior="isolated"),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ]
        )
    raise TokenizerError(
        f"{source}: tokenizer.ggml.pre {pre!r} is not supported (known: default, gpt2, smollm, llama3)"
    )


def _gguf_pre_name(pre_tokenizer: Any, source: str) -> str:
    """llama.cpp's ``tokenizer.ggml.pre`` name of a ``tokenizer.json`` pre-tokenizer (its JSON form)."""
    for name in _GGUF_PRE_NAMES:
        probe = tokenizers.Tokenizer(models.BPE())
        probe.pre_tokenizer = _byte_level_pre_tokenizer(name, source)
        if json.loads(probe.to_str())["pre_tokenizer"] == pre_tokenizer:
            return name
    kind = pre_tokenizer.get("type") if isinstance(pre_tokenizer, Mapping) else pre_tokenizer
    raise TokenizerError(
        f"{source}: GGUF cannot express this tokenizer's pre_tokenizer ({kind}); llama.cpp knows the byte-level "
        "splits of GPT-2, SmolLM and Llama 3"
    )


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character table."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    printable += list(range(ord("®"), ord("ÿ") + 1))
    chars = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            chars.append(256 + extra)
            extra += 1
    return dict(zip(printable, map(chr, chars), strict=True))


def _token_text(value: Any) -> str | None:
    """A special token as ``tokenizer_config.json`` writes it: a string or an AddedToken dict."""
    if isinstance(value, Mapping):
        return value.get("content")
    return value if isinstance(value, str) else None


def _compile_template(template: str) -> Any:
    """A sandboxed Jinja template with the globals and filters of transformers' chat templates."""
    import jinja2
    from jinja2.ext import loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message: str) -> None:
        raise jinja2.exceptions.TemplateError(message)

    def tojson(
        x: Any,
        ensure_ascii: bool = False,
        indent: Any = None,
        separators: Any = None,
        sort_keys: bool = False,
    ):
        return json.dumps(
            x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys
        )

    def strftime_now(fmt: str) -> str:
        return datetime.datetime.now().strftime(fmt)

    class SafeNamespace(jinja2.utils.Namespace):
        """``namespace()`` that refuses underscore attributes (no reaching into Python internals)."""

        def __init__(*args: Any, **kwargs: Any) -> None:
            self, rest = args[0], args[1:]
            for name in dict(*rest, **kwargs):
                SafeNamespace._check(name)
            jinja2.utils.Namespace.__init__(self, *rest, **kwargs)

        def __setitem__(self, name: str, value: Any) -> None:
            SafeNamespace._check(name)
            jinja2.utils.Namespace.__setitem__(self, name, value)

        @staticmethod
        def _check(name: Any) -> None:
            if isinstance(name, str) and name.startswith("_"):
                raise jinja2.exceptions.SecurityError(f"namespace attribute {name!r} may not start with '_'")

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    env.globals["dict"] = lambda *args, **kwargs: dict(*args, **kwargs)
    env.globals["namespace"] = SafeNamespace
    return env.from_string(template)


class Tokenizer:
    """A text <-> token-id codec with its special tokens and chat template."""

    def __init__(
        self,
        backend: tokenizers.Tokenizer,
        *,
        special_tokens: Mapping[str, str | None],
        chat_template: str | None,
        source: str,
    ):
        self.backend = backend
        self.source = source
        self.chat_template = chat_template
        self._compiled_template: tuple[str, Any] | None = None  # (template text, compiled), compiled on first use
        # bos_token, eos_token, pad_token, unk_token as strings (None when the tokenizer has none).
        self.special_tokens = {k: v for k, v in special_tokens.items() if v is not None}
        for name, token in self.special_tokens.items():
            if backend.token_to_id(token) is None:
                raise TokenizerError(f"{source}: {name} {token!r} is not in the vocabulary")

    # ----------------------------------------------------------------------------------------------------
    # Loading

    @classmethod
    def from_file(cls, path: str | Path) -> Tokenizer:
        """Load ``tokenizer.json`` (a file or its directory) with the ``tokenizer_config.json`` beside it."""
        path = Path(path)
        file = path / TOKENIZER_FILE if path.is_dir() else path
        if not file.exists():
            raise TokenizerError(f"tokenizer file not found: {file}")
        try:
            backend = tokenizers.Tokenizer.from_file(str(file))
        except Exception as err:  # the Rust library raises a bare Exception on malformed files
            raise TokenizerError(f"{file}: not a valid tokenizer.json ({err})") from None
        # Encodings are per text: padding and truncation belong to the caller.
        backend.no_padding()
        backend.no_truncation()
        config: dict[str, Any] = {}
        config_file = file.parent / TOKENIZER_CONFIG_FILE
        if config_file.exists():
            try:
                config = json.loads(config_file.read_text())
            except json.JSONDecodeError as err:
                raise TokenizerError(f"{config_file}: not valid JSON ({err})") from None
        template = config.get("chat_template")
        if isinstance(template, list):  # named templates: use the default one
            named = {t.get("name"): t.get("template") for t in template if isinstance(t, Mapping)}
            template = named.get("default")
        template_file = file.parent / CHAT_TEMPLATE_FILE
        if template is None and template_file.exists():
            template = template_file.read_text()
        special = {f"{n}_token": _token_text(config.get(f"{n}_token")) for n in ("bos", "eos", "pad", "unk")}
        return cls(backend, special_tokens=special, chat_template=template, source=str(file))

    @classmethod
    def from_gguf(cls, path: str | Path | GGUFFile) -> Tokenizer:
        """Build the byte-level BPE tokenizer stored in a GGUF file's ``tokenizer.ggml.*`` metadata."""
        from gajax.convert.gguf import GGUFFile

        f = path if isinstance(path, GGUFFile) else GGUFFile(path)
        source = str(f.path)
        kind = f.get("tokenizer.ggml.model")
        if kind != "gpt2":
            raise TokenizerError(
                f"{source}: tokenizer.ggml.model {kind!r} is not supported (only byte-level BPE 'gpt2'); "
                "point the decoder's tokenizer at an HF tokenizer.json instead"
            )
        tokens: list[str] = f.get("tokenizer.ggml.tokens")
        token_types: list[int] = f.get("tokenizer.ggml.token_type", None) or [1] * len(tokens)
        merges = []
        for line in f.get("tokenizer.ggml.merges"):
            parts = line.split(" ")
            if len(parts) != 2:
                raise TokenizerError(f"{source}: tokenizer.ggml.merges entry {line!r} is not two tokens")
            merges.append((parts[0], parts[1]))
        alphabet = _bytes_to_unicode()
        spelled = set(alphabet.values())
        vocab = {}
        for index, token in enumerate(tokens):
            # Real byte-level tokens are spelled in GPT-2's byte alphabet; respell any stray one that way.
            key = token if set(token) <= spelled else "".join(alphabet[b] for b in token.encode("utf-8"))
            vocab.setdefault(key, index)
        pre = f.get("tokenizer.ggml.pre", "default")
        # llama.cpp (like Llama 3's tokenizer.json) takes a whole pre-token that is in the vocabulary as is.
        ignore_merges = pre in _LLAMA3_PRE_NAMES
        backend = tokenizers.Tokenizer(
            models.BPE(vocab=vocab, merges=merges, fuse_unk=False, ignore_merges=ignore_merges)
        )
        backend.pre_tokenizer = _byte_level_pre_tokenizer(pre, source)
        backend.decoder = decoders.ByteLevel()
        control = [
            t for t, kind in zip(tokens, token_types, strict=True) if kind == _CONTROL and set(t) <= spelled
        ]
        user = [t for t, kind in zip(tokens, token_types, strict=True) if kind == _USER_DEFINED]
        backend.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in control])
        backend.add_tokens([AddedToken(t, special=False, normalized=False) for t in user])

        def token_at(key: str) -> str | None:
            index = f.get(f"tokenizer.ggml.{key}", None)
            return tokens[int(index)] if index is not None and 0 <= int(index) < len(tokens) else None

        special = {
            "bos_token": token_at("bos_token_id"),
            "eos_token": token_at("eos_token_id"),
            "pad_token": token_at("padding_token_id"),
            "unk_token": token_at("unknown_token_id"),
        }
        add_bos = bool(f.get("tokenizer.ggml.add_bos_token", False)) and special["bos_token"] is not None
        add_eos = bool(f.get("tokenizer.ggml.add_eos_token", False)) and special["eos_token"] is not None
        if add_bos or add_eos:
            bos, eos = special["bos_token"], special["eos_token"]
            prefix = [f"{bos}:0"] if add_bos else []
            suffix = [f"{eos}:0"] if add_eos else []
            ids = {
                t: backend.token_to_id(t) for t in (bos if add_bos else None, eos if add_eos else None) if t
            }
            backend.post_processor = processors.TemplateProcessing(
                single=" ".join([*prefix, "$A:0", *suffix]),
                pair=" ".join([*prefix, "$A:0", *suffix, *prefix, "$B:1", *suffix]),
                special_tokens=list(ids.items()),
            )
        else:
            backend.post_processor = processors.ByteLevel(trim_offsets=False)
        template = f.get("tokenizer.chat_template", None)
        return cls(backend, special_tokens=special, chat_template=template, source=source)

    def save(self, directory: str | Path) -> Path:
        """Write ``tokenizer.json`` and ``tokenizer_config.json`` (special tokens, chat template).

        :meth:`from_file` and ``transformers.AutoTokenizer`` read the result back.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.backend.save(str(directory / TOKENIZER_FILE))
        config: dict[str, Any] = {"tokenizer_class": "PreTrainedTokenizerFast", **self.special_tokens}
        if self.chat_template:
            config["chat_template"] = self.chat_template
        text = json.dumps(config, indent=2, ensure_ascii=False) + "\n"
        (directory / TOKENIZER_CONFIG_FILE).write_text(text)
        return directory

    def write_gguf_metadata(self, writer: Any, vocab_size: int) -> None:
        """Add this tokenizer's ``tokenizer.*`` metadata to a ``gguf.GGUFWriter`` as llama.cpp reads it (byte-level
        BPE only), the token list padded to the model's ``vocab_size``; :meth:`from_gguf` reads it back."""
        state = json.loads(self.backend.to_str())
        model = state.get("model") or {}
        if model.get("type") != "BPE":
            raise TokenizerError(
                f"{self.source}: GGUF export needs a byte-level BPE tokenizer; model.type is {model.get('type')!r}"
            )
        pre = _gguf_pre_name(state.get("pre_tokenizer"), self.source)
        if self.vocab_size > vocab_size:
            raise TokenizerError(f"{self.source}: {self.vocab_size} ids do not fit the model's {vocab_size}")
        by_id = {i: t for t, i in self.backend.get_vocab(with_added_tokens=True).items()}
        added = {t.content: t.special for t in self.backend.get_added_tokens_decoder().values()}
        tokens, types = [], []
        for i in range(vocab_size):
            token = by_id.get(i)
            tokens.append(f"[PAD{i}]" if token is None else token)
            if token is None:
                types.append(_UNUSED)
            elif token in added:
                types.append(_CONTROL if added[token] else _USER_DEFINED)
            else:
                types.append(_NORMAL)
        writer.add_tokenizer_model("gpt2")
        writer.add_tokenizer_pre(pre)
        writer.add_token_list(tokens)
        writer.add_token_types(types)
        writer.add_token_merges([m if isinstance(m, str) else " ".join(m) for m in model.get("merges", [])])
        for name, add in (("bos", writer.add_bos_token_id), ("eos", writer.add_eos_token_id),
                          ("pad", writer.add_pad_token_id), ("unk", writer.add_unk_token_id)):
            token_id = self.token_id(self.special_tokens.get(f"{name}_token"))
            if token_id is not None:
                add(token_id)
        plain = self.encode("a")
        framed = self.encode("a", add_special_tokens=True)
        writer.add_add_bos_token(self.bos_id is not None and framed[:1] == [self.bos_id] != plain[:1])
        writer.add_add_eos_token(self.eos_id is not None and framed[-1:] == [self.eos_id] != plain[-1:])
        if self.chat_template:
            writer.add_chat_template(self.chat_template)

    # ----------------------------------------------------------------------------------------------------
    # Coding

    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        """Token ids of ``text`` (special-token strings such as ``<|im_start|>`` map to their ids)."""
        return self.backend.encode(text, add_special_tokens=add_special_tokens).ids

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = True) -> str:
        """Text of ``ids``."""
        return self.backend.decode([int(i) for i in ids], skip_special_tokens=skip_special_tokens)

    def apply_chat_template(self, messages: list[dict[str, Any]], add_generation_prompt: bool = True) -> str:
        """Render ``messages`` (``{"role", "content"}`` dicts) with the chat template as transformers does.

        Message text is data, never markup: special-token strings and turn markers in it are defused
        (:func:`defuse_markers`), so only the template itself emits control tokens.
        """
        import jinja2

        if not self.chat_template:
            raise ChatTemplateError(f"{self.source}: this tokenizer has no chat template")
        for i, message in enumerate(messages):
            if not isinstance(message, Mapping):
                raise ChatTemplateError(
                    f"message {i} is a {type(message).__name__}, not a dict with role and content"
                )
        try:
            if self._compiled_template is None or self._compiled_template[0] != self.chat_template:
                self._compiled_template = (self.chat_template, _compile_template(self.chat_template))
            template = self._compiled_template[1]
        except jinja2.TemplateSyntaxError as err:
            raise ChatTemplateError(
                f"{self.source}: chat template has a syntax error at line {err.lineno}: {err}"
            ) from None
        try:
            return template.render(
                messages=[self._defused(m) for m in messages],
                tools=None,
                documents=None,
                add_generation_prompt=add_generation_prompt,
                **self.special_tokens,
            )
        except jinja2.TemplateError as err:
            raise ChatTemplateError(f"{self.source}: chat template failed to render: {err}") from None

    def _defused(self, message: Mapping[str, Any]) -> dict[str, Any]:
        content = message.get("content")
        if not isinstance(content, str):
            return dict(message)
        return {**message, "content": defuse_markers(content, special_token_strings(self))}

    # ----------------------------------------------------------------------------------------------------
    # Special ids

    def token_id(self, token: str | None) -> int | None:
        """The id of a token string (None if absent)."""
        return None if token is None else self.backend.token_to_id(token)

    @property
    def bos_id(self) -> int | None:
        """Beginning-of-sequence id, if the tokenizer has one."""
        return self.token_id(self.special_tokens.get("bos_token"))

    @property
    def eos_id(self) -> int | None:
        """End-of-sequence id, if the tokenizer has one."""
        return self.token_id(self.special_tokens.get("eos_token"))

    @property
    def pad_id(self) -> int:
        """The padding id: the pad token, else eos, else 0."""
        for token_id in (self.token_id(self.special_tokens.get("pad_token")), self.eos_id):
            if token_id is not None:
                return token_id
        return 0

    @property
    def stop_ids(self) -> frozenset[int]:
        """Ids that end a turn: eos and the chat template's end-of-turn token (e.g. ``<|im_end|>``)."""
        stops = {self.eos_id} if self.eos_id is not None else set()
        for token in END_OF_TURN_TOKENS:
            token_id = self.backend.token_to_id(token)
            if token_id is not None and token in (self.chat_template or ""):
                stops.add(token_id)
        return frozenset(stops)

    @property
    def vocab_size(self) -> int:
        """Number of ids, added tokens included."""
        return self.backend.get_vocab_size(with_added_tokens=True)
