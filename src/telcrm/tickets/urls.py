"""Service-desk screens, under /tickets/."""

from django.urls import path

from telcrm.tickets import actions, boards, views

urlpatterns = [
    path("", boards.queue, name="ticket-queue"),
    path("new/", views.ticket_new, name="ticket-new"),
    path("board/", boards.board, name="ticket-board"),
    path("dashboard/", boards.dashboard, name="ticket-dashboard"),
    path("visits/", views.visit_queue, name="ticket-visits"),
    path("customers/<str:customer_no>/panel/", boards.customer_panel, name="ticket-customer-panel"),
    path("<str:ticket_no>/", views.ticket_detail, name="ticket-detail"),
    path("<str:ticket_no>/timer/", views.ticket_timer, name="ticket-timer"),
    path("<str:ticket_no>/status/", actions.change_status, name="ticket-status"),
    path("<str:ticket_no>/resolve/", actions.resolve, name="ticket-resolve"),
    path("<str:ticket_no>/assign/", actions.assign, name="ticket-assign"),
    path("<str:ticket_no>/note/", actions.add_note, name="ticket-note"),
    path("<str:ticket_no>/work-orders/", actions.split_work_order, name="ticket-work-order"),
    path("<str:ticket_no>/work-orders/<int:work_order_id>/done/", actions.complete_work_order,
         name="ticket-work-order-done"),
    path("<str:ticket_no>/evidence/", actions.attach_evidence, name="ticket-evidence"),
    path("<str:ticket_no>/correct/", actions.correct_record, name="ticket-correct"),
    path("<str:ticket_no>/refunds/", actions.request_refund, name="ticket-refund"),
    path("<str:ticket_no>/refunds/<int:refund_id>/decide/", actions.decide_refund, name="ticket-refund-decide"),
]
