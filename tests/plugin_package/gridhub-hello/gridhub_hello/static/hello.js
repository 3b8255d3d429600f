import { defineComponent as N, ref as g, computed as I, onMounted as S, onUnmounted as B, openBlock as a, createElementBlock as d, createVNode as y, unref as t, withCtx as h, createBlock as _, withModifiers as A, Fragment as w, renderList as E, createTextVNode as k, toDisplayString as r, createElementVNode as x } from "vue";
import { ElCard as P, ElEmpty as G, ElSelect as D, ElOption as F, ElInput as H, ElButton as K, ElSkeleton as $ } from "element-plus";
import { api as z, realtime as C, session as O, showError as b, text as m, formatTime as R } from "@gridhub/host";
async function M() {
  return (await z.get("/api/v1/hello/greetings")).greetings;
}
async function W(s, e) {
  return (await C.emit("hello.post", { grid_id: s, text: e })).greeting;
}
function T(s) {
  return C.on("hello.greeting", (e) => s(e.greeting));
}
function V(s, e) {
  return [e, ...s.filter((n) => n.id !== e.id)];
}
const X = {
  "data-testid": "hello-page",
  style: { display: "grid", gap: "16px", padding: "16px", "max-width": "880px" }
}, Y = {
  key: 2,
  "data-testid": "hello-list",
  style: { "list-style": "none", margin: "0", padding: "0" }
}, j = ["data-id"], q = { style: { color: "var(--el-text-color-secondary)" } }, J = "hello_keeper", L = 200, ie = /* @__PURE__ */ N({
  __name: "GreetingsPage",
  setup(s) {
    const e = g([]), n = g(!0), u = g(!1), i = g(""), c = g(null), p = I(
      () => {
        var v;
        return (((v = O.me.value) == null ? void 0 : v.roles) ?? []).filter((o) => o.role === J && o.grid_id !== null);
      }
    );
    let f = null;
    S(async () => {
      var v;
      f = T((o) => {
        e.value = V(e.value, o);
      }), c.value = ((v = p.value[0]) == null ? void 0 : v.grid_id) ?? null;
      try {
        e.value = await M();
      } catch (o) {
        b(o);
      } finally {
        n.value = !1;
      }
    }), B(() => f == null ? void 0 : f());
    async function U() {
      if (!(c.value === null || !i.value.trim())) {
        u.value = !0;
        try {
          e.value = V(e.value, await W(c.value, i.value)), i.value = "";
        } catch (v) {
          b(v);
        } finally {
          u.value = !1;
        }
      }
    }
    return (v, o) => (a(), d("div", X, [
      y(t(P), { shadow: "never" }, {
        header: h(() => [
          k(r(t(m)("发布村口公告", "Post a greeting")), 1)
        ]),
        default: h(() => [
          p.value.length ? (a(), d("form", {
            key: 1,
            style: { display: "flex", gap: "8px", "flex-wrap": "wrap" },
            onSubmit: A(U, ["prevent"])
          }, [
            y(t(D), {
              modelValue: c.value,
              "onUpdate:modelValue": o[0] || (o[0] = (l) => c.value = l),
              "data-testid": "hello-grid",
              style: { width: "220px" }
            }, {
              default: h(() => [
                (a(!0), d(w, null, E(p.value, (l) => (a(), _(t(F), {
                  key: l.grid_id ?? 0,
                  label: l.grid_name ?? String(l.grid_id),
                  value: l.grid_id ?? 0
                }, null, 8, ["label", "value"]))), 128))
              ]),
              _: 1
            }, 8, ["modelValue"]),
            y(t(H), {
              modelValue: i.value,
              "onUpdate:modelValue": o[1] || (o[1] = (l) => i.value = l),
              "data-testid": "hello-text",
              maxlength: L,
              placeholder: t(m)("公告内容", "What to tell the village"),
              style: { flex: "1", "min-width": "240px" }
            }, null, 8, ["modelValue", "placeholder"]),
            y(t(K), {
              type: "primary",
              "native-type": "submit",
              "data-testid": "hello-post",
              loading: u.value,
              disabled: !i.value.trim()
            }, {
              default: h(() => [
                k(r(t(m)("发布", "Post")), 1)
              ]),
              _: 1
            }, 8, ["loading", "disabled"])
          ], 32)) : (a(), _(t(G), {
            key: 0,
            description: t(m)("您没有可管理的网格", "You keep no grid"),
            "image-size": 60
          }, null, 8, ["description"]))
        ]),
        _: 1
      }),
      y(t(P), { shadow: "never" }, {
        header: h(() => [
          k(r(t(m)("最新公告", "Newest greetings")), 1)
        ]),
        default: h(() => [
          n.value ? (a(), _(t($), {
            key: 0,
            rows: 3,
            animated: ""
          })) : e.value.length ? (a(), d("ul", Y, [
            (a(!0), d(w, null, E(e.value, (l) => (a(), d("li", {
              key: l.id,
              "data-testid": "hello-greeting",
              "data-id": l.id,
              style: { padding: "8px 0", "border-bottom": "1px solid var(--el-border-color-lighter)" }
            }, [
              x("div", null, r(l.text), 1),
              x("small", q, r(l.grid_name) + " · " + r(l.author) + " · " + r(t(R)(l.created_at)), 1)
            ], 8, j))), 128))
          ])) : (a(), _(t(G), {
            key: 1,
            description: t(m)("还没有公告", "No greetings yet"),
            "image-size": 60
          }, null, 8, ["description"]))
        ]),
        _: 1
      })
    ]));
  }
}), Q = {
  "data-testid": "hello-panel",
  style: { padding: "8px 12px" }
}, Z = {
  style: { "font-size": "28px", "font-weight": "600" },
  "data-testid": "hello-count"
}, ee = { style: { opacity: "0.7" } }, ne = /* @__PURE__ */ N({
  __name: "GreetingsPanel",
  setup(s) {
    const e = g(null), n = g([]);
    let u = null;
    return S(async () => {
      u = T((i) => {
        const c = n.value.some((p) => p.id === i.id);
        n.value = V(n.value, i).slice(0, 3), !c && e.value !== null && (e.value += 1);
      });
      try {
        const i = await z.get("/api/v1/hello/stats");
        e.value = i.greetings, n.value = (await M()).slice(0, 3);
      } catch (i) {
        b(i);
      }
    }), B(() => u == null ? void 0 : u()), (i, c) => (a(), d("div", Q, [
      e.value === null ? (a(), _(t($), {
        key: 0,
        rows: 2,
        animated: ""
      })) : (a(), d(w, { key: 1 }, [
        x("div", Z, r(e.value), 1),
        x("div", ee, r(t(m)("条村口公告", "greetings")), 1),
        (a(!0), d(w, null, E(n.value, (p) => (a(), d("div", {
          key: p.id,
          style: { "margin-top": "6px", overflow: "hidden", "text-overflow": "ellipsis", "white-space": "nowrap" }
        }, r(p.text), 1))), 128))
      ], 64))
    ]));
  }
});
export {
  ie as GreetingsPage,
  ne as GreetingsPanel
};
